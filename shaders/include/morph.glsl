// morph.glsl - shared by the morphing programs; not a program itself, each one includes it by name.
// Every layer's 3D positions live in one RGB32F texture: vertex i of layer l is the texel
// (i % u_tex_width, l * u_rows_per_layer + i / u_tex_width). A frame changes only u_layer.
uniform sampler2D u_positions;
uniform int u_tex_width;
uniform int u_rows_per_layer;
uniform int u_n_layers;
uniform float u_layer;  // continuous: 2.25 is a quarter of the way from layer 2 to layer 3

vec3 layer_position(int layer, int index) {
    ivec2 texel = ivec2(index % u_tex_width, layer * u_rows_per_layer + index / u_tex_width);
    return texelFetch(u_positions, texel, 0).xyz;
}

// Smoothstep easing: the morph starts and ends at rest, which reads well on a projector.
float ease(float t) {
    return t * t * (3.0 - 2.0 * t);
}

// A row the layer has no position for (its activations were NaN or Inf: a grid sample where the model
// is undefined) is stored as this value (visuals.MISSING_POSITION); nothing is drawn to it.
const float MISSING = 1e30;
bool morph_missing = false;  // set by morphed_position: the row is missing in a layer the morph shows

vec3 morphed_position(int index) {
    float layer = clamp(u_layer, 0.0, float(u_n_layers - 1));
    int lower = int(floor(layer));
    int upper = min(lower + 1, u_n_layers - 1);
    float t = ease(layer - float(lower));
    vec3 from = layer_position(lower, index);
    vec3 to = layer_position(upper, index);
    morph_missing = (t < 1.0 && abs(from.x) >= 0.5 * MISSING) || (t > 0.0 && abs(to.x) >= 0.5 * MISSING);
    // at either end, that layer's position exactly: mix computed as from + t * (to - from) loses `to`
    // entirely when `from` is MISSING and t is 1
    return t >= 1.0 ? to : (t <= 0.0 ? from : mix(from, to, t));
}
