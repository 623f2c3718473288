// wide_line.glsl - lines of any width in pixels, as screen-space quads; not a program itself.
// A core-profile context draws GL_LINES one pixel wide only, which is a hairline in a 4K recording.
// Each segment is drawn as two triangles (six vertices); `corner` (0..5) says which end of the
// segment a vertex sits at and on which side. The quad keeps `width` pixels across whatever the
// camera does, and reaches `cap` pixels past each end: 0 for translucent lines (overlapping ends
// would show as beads at every joint), half the width for opaque strokes that must meet in a point.
uniform vec2 u_viewport;  // framebuffer size in pixels

// (end: 0 start, 1 end; side: -1 or 1) for the six corners of the two triangles
const vec2 QUAD_CORNERS[6] = vec2[6](
    vec2(0.0, -1.0), vec2(1.0, -1.0), vec2(1.0, 1.0),
    vec2(0.0, -1.0), vec2(1.0, 1.0), vec2(0.0, 1.0)
);

const float NEAR_W = 1e-4;  // clip-space w in front of the camera where segments are cut

// Cut the segment from `a` to `b` where it passes behind the camera: a divide by w <= 0 would flip
// it. False when it lies wholly behind.
bool clip_to_front(inout vec4 a, inout vec4 b) {
    if (a.w < NEAR_W && b.w < NEAR_W) {
        return false;
    }
    if (a.w < NEAR_W) {
        a = mix(a, b, (NEAR_W - a.w) / (b.w - a.w));
    } else if (b.w < NEAR_W) {
        b = mix(b, a, (NEAR_W - b.w) / (a.w - b.w));
    }
    return true;
}

// Clip-space position of one quad corner for the segment from clip-space `a` to `b`. A segment
// shorter than a thousandth of a pixel (a zero vector) draws nothing, caps or not.
vec4 wide_line_corner(vec4 a, vec4 b, int corner, float width, float cap) {
    if (!clip_to_front(a, b)) {
        return vec4(0.0, 0.0, 2.0, 1.0);  // wholly behind: outside the clip volume, drawn nowhere
    }
    vec2 half_viewport = 0.5 * u_viewport;
    vec2 along = b.xy / b.w * half_viewport - a.xy / a.w * half_viewport;
    float length_px = length(along);
    if (length_px < 1e-3) {
        return a;  // all six corners on one point: two empty triangles
    }
    vec2 direction = along / length_px;
    vec2 across = vec2(-direction.y, direction.x);
    vec2 which = QUAD_CORNERS[corner];
    vec4 end = which.x < 0.5 ? a : b;
    float outward = which.x < 0.5 ? -1.0 : 1.0;
    vec2 offset_px = across * (0.5 * width * which.y) + direction * (cap * outward);
    return vec4(end.xy + offset_px / half_viewport * end.w, end.z, end.w);
}
