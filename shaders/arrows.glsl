// arrows.glsl - tangent vectors pushed forward through the network, drawn as arrows in every layer.
// Arrow i has two rows in the positions texture, base then tip, starting at u_first_vertex; both morph
// with u_layer like the points. An arrow is three strokes (the shaft, then the two strokes of the
// head), each a quad u_line_width pixels wide: six vertices, see include/wide_line.glsl. The head is
// built in screen space so it keeps its size and shape from any camera angle.
#shader vertex
#version 330 core
#include "morph"
#include "wide_line"
uniform mat4 u_view_proj;
uniform int u_first_vertex;
uniform float u_head_pixels;  // length of the head strokes
uniform float u_line_width;   // pixels
in float a_arrow;             // which arrow
in float a_stroke;            // 0 shaft, 1 left head stroke, 2 right head stroke
in float a_corner;            // which corner of the stroke's quad (0..5)
in vec4 a_color;
out vec4 v_color;

// The end of a head stroke: from the tip, back along the shaft (the part in front of the camera) and
// turned by 0.45 rad to one side.
vec4 head_end(vec4 base, vec4 tip, float side) {
    if (tip.w < NEAR_W || !clip_to_front(base, tip)) {
        return tip;  // the tip is behind the camera: no head
    }
    vec2 half_viewport = 0.5 * u_viewport;
    vec2 base_px = base.xy / base.w * half_viewport;
    vec2 tip_px = tip.xy / tip.w * half_viewport;
    vec2 along = tip_px - base_px;
    float length_px = length(along);
    vec2 back = length_px > 1e-3 ? -along / length_px : vec2(0.0);
    float c = cos(0.45), s = sin(0.45) * side;
    vec2 stroke = mat2(c, s, -s, c) * back * min(u_head_pixels, 0.5 * length_px);
    return vec4((tip_px + stroke) / half_viewport * tip.w, tip.z, tip.w);
}

void main() {
    int row = u_first_vertex + 2 * int(a_arrow);
    vec4 base = u_view_proj * vec4(morphed_position(row), 1.0);
    bool missing = morph_missing;
    vec4 tip = u_view_proj * vec4(morphed_position(row + 1), 1.0);
    if (missing || morph_missing) {  // an end without a position (see morph.glsl): no arrow
        gl_Position = vec4(0.0, 0.0, 2.0, 1.0);
        v_color = a_color;
        return;
    }
    vec4 start = a_stroke < 0.5 ? base : tip;
    vec4 end = a_stroke < 0.5 ? tip : head_end(base, tip, a_stroke < 1.5 ? 1.0 : -1.0);
    // Opaque strokes reach half their width past their ends, so the three meet in a point at the tip.
    gl_Position = wide_line_corner(start, end, int(a_corner), u_line_width, 0.5 * u_line_width);
    v_color = a_color;
}

#shader fragment
#version 330 core
#include "vertex_color"
