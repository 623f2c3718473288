// wide_grid.glsl - the warped grid's lines wider than a pixel (recordings and pictures above 720p,
// HiDPI windows), as quads: see include/wide_line.glsl. grid.glsl draws the same segments as
// one-pixel GL_LINES, which is cheaper where that width is all a line needs.
// Six vertices per segment; a_ends holds the segment's two grid rows, counted from u_first_vertex.
#shader vertex
#version 330 core
#include "morph"
#include "wide_line"
uniform mat4 u_view_proj;
uniform int u_first_vertex;
uniform float u_line_width;  // pixels
in vec2 a_ends;
in float a_corner;
in vec4 a_color;
out vec4 v_color;

void main() {
    vec4 start = u_view_proj * vec4(morphed_position(u_first_vertex + int(a_ends.x)), 1.0);
    bool missing = morph_missing;
    vec4 end = u_view_proj * vec4(morphed_position(u_first_vertex + int(a_ends.y)), 1.0);
    missing = missing || morph_missing;
    // a segment with a missing end (see morph.glsl) is drawn nowhere
    gl_Position = missing ? vec4(0.0, 0.0, 2.0, 1.0) : wide_line_corner(start, end, int(a_corner), u_line_width, 0.0);
    gl_ClipDistance[0] = 1.0;  // the renderer may have clip distance 0 on for grid.glsl: never clip here
    v_color = a_color;
}

#shader fragment
#version 330 core
#include "vertex_color"
