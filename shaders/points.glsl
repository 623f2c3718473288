// points.glsl - the data point cloud, morphed layer by layer on the GPU.
// Vertex: reads this point's position in the two layers around u_layer from the positions texture
// (see include/morph.glsl) and mixes them. Fragment: a round dot with an antialiased edge and a
// faint darker rim so overlapping points stay readable.
#shader vertex
#version 330 core
#include "morph"
uniform mat4 u_view_proj;
uniform float u_point_size;  // diameter in framebuffer pixels
in vec4 a_color;
out vec4 v_color;

void main() {
    gl_Position = u_view_proj * vec4(morphed_position(gl_VertexID), 1.0);
    gl_PointSize = u_point_size;
    v_color = a_color;
}

#shader fragment
#version 330 core
uniform float u_point_size;
in vec4 v_color;
out vec4 f_color;

void main() {
    float r = length(gl_PointCoord - vec2(0.5)) * 2.0;  // 0 at the centre, 1 at the edge
    float pixel = 2.0 / max(u_point_size, 1.0);
    float alpha = 1.0 - smoothstep(1.0 - pixel, 1.0, r);
    if (alpha <= 0.01) discard;
    float rim = smoothstep(0.55, 0.95, r);
    f_color = vec4(mix(v_color.rgb, v_color.rgb * 0.55, rim), v_color.a * alpha);
}
