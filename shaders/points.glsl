// points.glsl - the data point cloud, morphed layer by layer on the GPU.
// Vertex: reads this point's position in the two layers around u_layer from the positions texture
// (see include/morph.glsl) and mixes them. Fragment: a round dot with an antialiased edge and a
// faint darker rim so overlapping points stay readable.
// The colour is fetched in the fragment stage, by primitive, from the colours texture rather than
// passed down as a varying: on a CPU rasteriser (Mesa llvmpipe) every varying costs per point, and
// this cut the frame time at 100k and 1M points by 5-10% there (see README, Performance).
#shader vertex
#version 330 core
#include "morph"
uniform mat4 u_view_proj;
uniform float u_point_size;  // diameter in framebuffer pixels
in float a_unused;           // gloo needs one attribute to know how many vertices to draw

void main() {
    gl_Position = u_view_proj * vec4(morphed_position(gl_VertexID), 1.0 + 0.0 * a_unused);
    gl_PointSize = u_point_size;
}

#shader fragment
#version 330 core
uniform float u_point_size;
uniform sampler2D u_colors;  // RGBA8; point i is texel (i % 4096, i / 4096), see PointCloud
uniform int u_stride;        // one point in u_stride is drawn: see visuals.thinned_points
out vec4 f_color;

void main() {
    uint k = uint(gl_PrimitiveID);
    uint stride = uint(u_stride);
    uint point = k * stride + ((k * 7919u) & (stride - 1u));  // visuals.SUBSET_SCRAMBLE; stride: a power of two
    vec4 color = texelFetch(u_colors, ivec2(point % 4096u, point / 4096u), 0);
    float r = length(gl_PointCoord - vec2(0.5)) * 2.0;  // 0 at the centre, 1 at the edge
    float pixel = 2.0 / max(u_point_size, 1.0);
    float alpha = 1.0 - smoothstep(1.0 - pixel, 1.0, r);
    if (alpha <= 0.01) discard;
    float rim = smoothstep(0.55, 0.95, r);
    f_color = vec4(mix(color.rgb, color.rgb * 0.55, rim), color.a * alpha);
}
