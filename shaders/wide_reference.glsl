// wide_reference.glsl - the static 3D reference (see reference.glsl) with lines wider than a pixel.
// Positions are world coordinates and do not morph. Each segment is a quad u_line_width pixels wide
// (six vertices, see include/wide_line.glsl), so the axes keep their weight in a 4K recording.
#shader vertex
#version 330 core
#include "wide_line"
uniform mat4 u_view_proj;
uniform float u_line_width;  // pixels
uniform vec3 u_ground_center;  // as in reference.glsl
in vec3 a_start;
in vec3 a_end;
in float a_ground;
in float a_corner;
in vec4 a_color;
out vec4 v_color;

void main() {
    vec4 start = u_view_proj * vec4(a_start + a_ground * u_ground_center, 1.0);
    vec4 end = u_view_proj * vec4(a_end + a_ground * u_ground_center, 1.0);
    gl_Position = wide_line_corner(start, end, int(a_corner), u_line_width, 0.0);
    v_color = a_color;
}

#shader fragment
#version 330 core
#include "vertex_color"
