// 1-D work spread over a 2-D grid of workgroups: devices allow only 65535 workgroups per dimension.
// Include it after the layout(local_size_x = ...) declaration: before that, glslang takes gl_WorkGroupSize as
// (1,1,1) without an error, and every workgroup after the first would cover the wrong elements.
#ifndef VULKANCNN_GRID_GLSL
#define VULKANCNN_GRID_GLSL
int flatGroup() { return int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x); }
int flatIndex() { return flatGroup() * int(gl_WorkGroupSize.x) + int(gl_LocalInvocationID.x); }
#endif
