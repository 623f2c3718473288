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
    gl_Position = u_view_proj * vec4(morphed_position(u_first_vertex + gl_VertexID), 1.0);
    v_color = a_color;
}

#shader fragment
#version 330 core
in vec4 v_color;
out vec4 f_color;

void main() {
    f_color = v_color;
}
