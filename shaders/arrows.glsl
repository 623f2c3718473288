// arrows.glsl - tangent vectors pushed forward through the network, drawn as arrows in every layer.
// Arrow i has two rows in the positions texture, base then tip, starting at u_first_vertex; both morph
// with u_layer like the points. Each arrow is six line vertices (shaft, then two head strokes); the
// head is built in screen space so it keeps its size and shape from any camera angle.
#shader vertex
#version 330 core
#include "morph"
uniform mat4 u_view_proj;
uniform int u_first_vertex;
uniform vec2 u_viewport;      // framebuffer size in pixels
uniform float u_head_pixels;  // length of the head strokes
in float a_arrow;             // which arrow
in float a_corner;            // 0 base, 1 tip, 2 left head end, 3 right head end
in vec4 a_color;
out vec4 v_color;

void main() {
    int row = u_first_vertex + 2 * int(a_arrow);
    vec4 base = u_view_proj * vec4(morphed_position(row), 1.0);
    vec4 tip = u_view_proj * vec4(morphed_position(row + 1), 1.0);
    v_color = a_color;
    if (a_corner < 0.5) {
        gl_Position = base;
        return;
    }
    if (a_corner < 1.5) {
        gl_Position = tip;
        return;
    }
    vec2 base_px = base.xy / base.w * 0.5 * u_viewport;
    vec2 tip_px = tip.xy / tip.w * 0.5 * u_viewport;
    vec2 along = tip_px - base_px;
    float length_px = length(along);
    vec2 back = length_px > 1e-3 ? -along / length_px : vec2(0.0);
    float side = a_corner < 2.5 ? 1.0 : -1.0;
    float c = cos(0.45), s = sin(0.45) * side;
    vec2 stroke = mat2(c, s, -s, c) * back * min(u_head_pixels, 0.5 * length_px);
    vec2 end_ndc = (tip_px + stroke) / (0.5 * u_viewport);
    gl_Position = vec4(end_ndc * tip.w, tip.z, tip.w);
}

#shader fragment
#version 330 core
in vec4 v_color;
out vec4 f_color;

void main() {
    f_color = v_color;
}
