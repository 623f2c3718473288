// regions.glsl - the decision regions: a lattice over the input plane, tinted by predicted class.
// Triangles whose vertices are rows of the shared positions texture (from u_first_vertex), so the
// tint morphs with the grid; each vertex's colour blends the class colours by their probabilities.
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
