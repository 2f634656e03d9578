// One textured (or procedural) quad per instance: its centre, half-size, rotation and texture rectangle come from the
// frame's quad buffer (gl_InstanceIndex = the draw's firstInstance), so the command buffer is recorded once.
#version 450

struct Quad
{
    vec4 centerHalf;   // centre x, y and half-size x, y, in framebuffer pixels (y down)
    vec4 rotation;     // cos, sin of the angle (clockwise on screen), kind (0 background, 1 photo), unused
    vec4 uvRect;       // u0, v0, u1, v1: the texture rectangle mapped onto the quad
};

layout(std430, set = 0, binding = 0) readonly buffer FrameData
{
    vec4 header;       // framebuffer width, height, time in seconds, unused
    Quad quads[];
};

layout(location = 0) out vec2 outUv;
layout(location = 1) out vec2 outLocal;      // -1..1 across the quad
layout(location = 2) flat out float outKind;

void main()
{
    Quad q = quads[gl_InstanceIndex];
    // Triangle strip: (-1,-1), (1,-1), (-1,1), (1,1).
    vec2 corner = vec2((gl_VertexIndex & 1) != 0 ? 1.0 : -1.0, (gl_VertexIndex & 2) != 0 ? 1.0 : -1.0);
    vec2 local = corner * q.centerHalf.zw;
    vec2 p = q.centerHalf.xy + vec2(local.x * q.rotation.x - local.y * q.rotation.y,
                                    local.x * q.rotation.y + local.y * q.rotation.x);
    // Vulkan clip space has y pointing down, like the pixel coordinates.
    gl_Position = vec4(p / header.xy * 2.0 - 1.0, 0.0, 1.0);
    outUv = mix(q.uvRect.xy, q.uvRect.zw, corner * 0.5 + 0.5);
    outLocal = corner;
    outKind = q.rotation.z;
}
