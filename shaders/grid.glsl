// grid.glsl - morphed, coloured vertices of the input plane: the grid's lines (indexed GL_LINES) and
// the decision-region tint (indexed triangles over the region lattice, coloured by predicted class).
// gl_VertexID is the index into this visual's rows; u_first_vertex is where they start in the shared
// positions texture (after the data points, and for the regions after the grid).
#shader vertex
#version 330 core
#include "morph"
uniform mat4 u_view_proj;
uniform int u_first_vertex;
in vec4 a_color;
out vec4 v_color;

void main() {
    vec3 position = morphed_position(u_first_vertex + gl_VertexID);
    // A missing row cuts every line and triangle that touches it, where the renderer enables clip
    // distance 0 (only for projections with missing rows): the segment is clipped to its other end.
    gl_ClipDistance[0] = morph_missing ? -1e30 : 1.0;
    gl_Position = morph_missing ? vec4(0.0, 0.0, 0.0, 1.0) : u_view_proj * vec4(position, 1.0);
    v_color = a_color;
}

#shader fragment
#version 330 core
#include "vertex_color"
