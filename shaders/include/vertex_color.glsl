// vertex_color.glsl - the fragment stage of the line and triangle programs (grid, regions, axes,
// arrows): each fragment takes the colour its vertex stage passed down. Not a program itself.
in vec4 v_color;
out vec4 f_color;

void main() {
    f_color = v_color;
}
