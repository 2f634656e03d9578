// A photograph sampled from its texture, or (kind 0) the animated background.
#version 450

layout(std430, set = 0, binding = 0) readonly buffer FrameData
{
    vec4 header;       // framebuffer width, height, time in seconds, unused
};
layout(set = 1, binding = 0) uniform sampler2D photo;

layout(location = 0) in vec2 uv;
layout(location = 1) in vec2 local;
layout(location = 2) flat in float kind;
layout(location = 0) out vec4 color;

void main()
{
    if (kind < 0.5)
    {
        // Background: a dark blue gradient with slowly drifting diagonal bands.
        float t = header.z;
        float bands = 0.5 + 0.5 * sin((gl_FragCoord.x + gl_FragCoord.y) * 0.045 - t * 2.0);
        vec3 top = vec3(0.08, 0.10, 0.22), bottom = vec3(0.02, 0.25, 0.30);
        color = vec4(mix(top, bottom, local.y * 0.5 + 0.5) + bands * vec3(0.06, 0.05, 0.02), 1.0);
    }
    else
    {
        color = vec4(texture(photo, uv).rgb, 1.0);
    }
}
