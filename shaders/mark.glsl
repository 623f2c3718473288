// mark.glsl - the recording mark: one round red dot in a corner of the window. It is drawn after the
// frame has been captured for the video, so it shows on screen but never in the recording.
#shader vertex
#version 330 core
uniform vec2 u_center;  // in normalised device coordinates
uniform float u_size;   // diameter in framebuffer pixels
in float a_unused;      // gloo needs one attribute to know how many vertices to draw

void main() {
    gl_Position = vec4(u_center, 0.0, 1.0 + 0.0 * a_unused);
    gl_PointSize = u_size;
}

#shader fragment
#version 330 core
uniform vec4 u_color;
uniform float u_size;
out vec4 f_color;

void main() {
    float r = length(gl_PointCoord - vec2(0.5)) * 2.0;
    float alpha = 1.0 - smoothstep(1.0 - 2.0 / u_size, 1.0, r);
    if (alpha <= 0.01) discard;
    f_color = vec4(u_color.rgb, u_color.a * alpha);
}
