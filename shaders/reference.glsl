// reference.glsl - the static 3D reference: coloured axes through the origin and a faint ground grid,
// drawn as one-pixel GL_LINES. Positions are world coordinates and do not morph. Lines wider than a
// pixel (a high-resolution picture, a HiDPI window) use wide_reference.glsl instead: on a CPU
// rasteriser (llvmpipe) the long, thin quads cost about 1 ms a frame, the hairlines a fraction of it.
#shader vertex
#version 330 core
uniform mat4 u_view_proj;
uniform vec3 u_ground_center;  // the ground lies below the middle of the layer framed; the axes stay put
in vec3 a_position;
in float a_ground;             // 1 for the ground's lines, 0 for the axes
in vec4 a_color;
out vec4 v_color;

void main() {
    gl_Position = u_view_proj * vec4(a_position + a_ground * u_ground_center, 1.0);
    v_color = a_color;
}

#shader fragment
#version 330 core
#include "vertex_color"
