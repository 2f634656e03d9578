// Overlays drawn on the GPU into an RGBA8 frame: a class-coloured mask blended from a model-resolution map, box
// outlines, keypoint discs, line segments and text labels in the embedded bitmap font. GPU side: shaders/overlay.comp.
// Here: OverlayRenderer; the primitives are in OverlayPrimitives.cs, the colours in Colors.cs.
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Vision;

/// <summary>
/// Draws overlays into a Width×Height RGBA8 frame held in a GPU buffer: <see cref="Upload"/> a frame, <see cref="Draw(OverlayScene)"/>
/// (mask, then boxes, points, segments, labels, each blended over what came before), then <see cref="ReadRgba(Span{byte})"/>
/// or <see cref="SavePng"/>. Primitives go through a host-visible buffer that grows only when a frame needs more than
/// any before it, so steady-state frames allocate nothing. Draw waits for the GPU. Not thread-safe.
/// </summary>
public sealed unsafe class OverlayRenderer : IDisposable
{
    private const int Kinds = 5;   // mask, boxes, discs, segments, text: the KIND specialisation of overlay.comp
    private readonly VulkanContext _ctx;
    private readonly MemoryArena? _frameArena;
    private readonly BufferSlice _frame;

    /// <summary>
    /// One target frame with its own mask and primitive buffers and descriptor sets. A frame pipeline has one slot per
    /// frame in flight, so writing the primitives of frame N+1 never waits for frame N's draw.
    /// </summary>
    private sealed class Slot
    {
        public BufferSlice Frame;
        public MemoryArena? MaskArena, PrimArena;
        public BufferSlice Mask, Prims;
        public int MaskCapacity, PrimCapacity;   // floats, 16-byte records
        public readonly DescriptorSet[] Sets = new DescriptorSet[Kinds];
        // The mask now in Mask and the frame pixels it can change: a pipeline draws the same result's mask on every
        // frame until the next result, so it is copied and scanned once per slot, not once per frame.
        public OverlayMask? UploadedMask;
        public Rect UploadedMaskArea;
    }

    private readonly Slot[] _slots;
    private readonly Kernel[] _kernels = new Kernel[Kinds];
    private readonly DescriptorPool _descriptorPool;
    private readonly CommandPool _pool;
    private readonly CommandBuffer _cmd;
    private readonly Fence _fence;
    private readonly LinkedListNode<IDisposable>? _tracked;
    private readonly ExclusiveUse _use = new("OverlayRenderer");
    private bool _disposed;

    /// <summary>Creates a renderer for frames of <paramref name="width"/>×<paramref name="height"/> pixels.</summary>
    public OverlayRenderer(VulkanContext context, int width, int height) : this(context, width, height, null) { }

    /// <summary>
    /// A renderer that draws into the caller's frames: slot i draws into <paramref name="targets"/>[i] (RGBA8, one packed
    /// uint per pixel, rows packed) when recorded with <see cref="RecordDraw"/>. Upload, Draw and ReadRgba are not available.
    /// </summary>
    internal OverlayRenderer(VulkanContext context, int width, int height, BufferSlice[]? targets)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ThrowIfDisposed();
        if (width <= 0 || height <= 0) throw new ArgumentException($"Overlay frame size {width}x{height} must be positive.");
        ulong bytes = (ulong)width * (ulong)height * 4;
        if (bytes > context.DeviceInfo.MaxStorageBufferRange)
            throw new ArgumentException($"An overlay frame of {width}x{height} needs {bytes:N0} bytes; {context.DeviceInfo.Name} binds at most {context.DeviceInfo.MaxStorageBufferRange:N0} (maxStorageBufferRange).");
        _ctx = context;
        Width = width;
        Height = height;
        _slots = new Slot[targets?.Length ?? 1];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new Slot();
        _tracked = context.Track(this);
        try
        {
            if (targets == null)
            {
                // The frame lives in host-visible memory: it is written by Upload and read back every frame anyway.
                _frameArena = new MemoryArena(context, MemoryUsage.Staging);
                _frame = _frameArena.Allocate(bytes, "overlay frame");
                _slots[0].Frame = _frame;
            }
            else
            {
                for (int i = 0; i < targets.Length; i++)
                {
                    if (targets[i].Size < bytes) throw new ArgumentException($"Overlay target {i} holds {targets[i].Size} bytes; a {width}x{height} RGBA8 frame needs {bytes}.", nameof(targets));
                    _slots[i].Frame = targets[i];
                }
            }
            for (int k = 0; k < Kinds; k++)
                _kernels[k] = context.Pipelines.Get("overlay", 3, (uint)Marshal.SizeOf<Push>(), new[] { k });
            _descriptorPool = CreateDescriptorPool();
            foreach (var slot in _slots)
            {
                EnsureMask(slot, 4);
                EnsurePrims(slot, 64);
                for (int k = 0; k < Kinds; k++)
                {
                    var layout = _kernels[k].SetLayout;
                    var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _descriptorPool, DescriptorSetCount = 1, PSetLayouts = &layout };
                    DescriptorSet set;
                    _ctx.Vk.AllocateDescriptorSets(_ctx.Device, &ai, &set).Check("vkAllocateDescriptorSets");
                    slot.Sets[k] = set;
                }
                WriteDescriptors(slot);
            }
            if (targets == null)
            {
                _pool = context.CreateCommandPool();
                _cmd = context.AllocateCommandBuffer(_pool);
                _fence = context.CreateFence();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; }
    /// <summary>Frame height in pixels.</summary>
    public int Height { get; }
    /// <summary>Bytes of one RGBA8 frame: Width·Height·4.</summary>
    public int FrameByteCount => Width * Height * 4;

    /// <summary>Copies an RGBA8 frame (<see cref="FrameByteCount"/> bytes, rows packed) into the GPU frame.</summary>
    public void Upload(ReadOnlySpan<byte> rgba)
    {
        using var use = _use.Enter();
        ThrowIfDisposed();
        ThrowIfTargets();
        if (rgba.Length != FrameByteCount)
            throw new ArgumentException($"An RGBA8 frame of {Width}x{Height} has {FrameByteCount} bytes; got {rgba.Length}.", nameof(rgba));
        rgba.CopyTo(new Span<byte>(_frame.Mapped, FrameByteCount));
    }

    /// <summary>
    /// Draws, in this order, the mask (if any), the box outlines, the points, the segments and the labels over the
    /// uploaded frame (each primitive blended with its colour's alpha, later ones over earlier ones), and waits.
    /// </summary>
    /// <exception cref="ArgumentException">A thickness, radius, scale, alpha or mask size is invalid (the message names it).</exception>
    public void Draw(ReadOnlySpan<OverlayBox> boxes, ReadOnlySpan<OverlayPoint> points, ReadOnlySpan<OverlaySegment> segments,
                     ReadOnlySpan<OverlayLabel> labels, OverlayMask? mask = null)
    {
        using var use = _use.Enter();
        ThrowIfDisposed();
        ThrowIfTargets();
        var passes = Prepare(_slots[0], boxes, points, segments, labels, mask, reuseMask: false);
        var vk = _ctx.Vk;
        vk.ResetCommandBuffer(_cmd, 0).Check("vkResetCommandBuffer");
        var bi = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
        vk.BeginCommandBuffer(_cmd, &bi).Check("vkBeginCommandBuffer");
        RecordPasses(_cmd, _slots[0], passes);
        // The host reads the frame after the fence.
        _ctx.CmdMemoryBarrier(_cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);
        vk.EndCommandBuffer(_cmd).Check("vkEndCommandBuffer");
        _ctx.SubmitAndWait(_cmd, _fence);
    }

    /// <summary>
    /// Writes <paramref name="scene"/>'s primitives into slot <paramref name="slot"/>'s buffers and records its passes into
    /// <paramref name="cmd"/> (no submission, no wait). The caller guarantees the slot's previous draw has completed, orders
    /// the target's earlier writes before the first pass (compute read/write) and its later readers after the last one
    /// (compute shader writes). Returns false when the scene was empty and nothing was recorded.
    /// </summary>
    internal bool RecordDraw(CommandBuffer cmd, int slot, OverlayScene scene)
    {
        ThrowIfDisposed();
        var s = _slots[slot];
        var passes = Prepare(s, CollectionsMarshal.AsSpan(scene.Boxes), CollectionsMarshal.AsSpan(scene.Points),
                             CollectionsMarshal.AsSpan(scene.Segments), CollectionsMarshal.AsSpan(scene.Labels), scene.Mask, reuseMask: true);
        return RecordPasses(cmd, s, passes);
    }

    /// <summary>Offsets and counts of one draw's records, and its push constants.</summary>
    private readonly record struct Passes(Push Push, bool Mask, (int Offset, int Count) Boxes, (int Offset, int Count) Discs,
                                          (int Offset, int Count) Segments, (int Offset, int Count) Backgrounds, (int Offset, int Count) Glyphs,
                                          Rect BoxArea, Rect DiscArea, Rect SegmentArea, Rect TextArea, Rect MaskArea);

    /// <summary>Pixel rectangle [X0, X1) × [Y0, Y1) a pass is dispatched over (primitives cover nothing outside it).</summary>
    private readonly record struct Rect(int X0, int Y0, int X1, int Y1)
    {
        public bool IsEmpty => X1 <= X0 || Y1 <= Y0;
    }

    /// <summary>Float bounds of a pass's primitives, grown one primitive at a time.</summary>
    private struct Bounds
    {
        private float _x0, _y0, _x1, _y1;
        private bool _any;
        public void Add(float x0, float y0, float x1, float y1)
        {
            if (!_any) { (_x0, _y0, _x1, _y1, _any) = (x0, y0, x1, y1, true); return; }
            _x0 = MathF.Min(_x0, x0); _y0 = MathF.Min(_y0, y0); _x1 = MathF.Max(_x1, x1); _y1 = MathF.Max(_y1, y1);
        }
        // Whole pixels whose centres can fall inside, with a pixel of margin, clamped to the frame.
        public Rect ToRect(int w, int h) => !_any ? default : new Rect(
            (int)Math.Clamp(MathF.Floor(_x0) - 1, 0, w), (int)Math.Clamp(MathF.Floor(_y0) - 1, 0, h),
            (int)Math.Clamp(MathF.Ceiling(_x1) + 1, 0, w), (int)Math.Clamp(MathF.Ceiling(_y1) + 1, 0, h));
    }

    private Passes Prepare(Slot slot, ReadOnlySpan<OverlayBox> boxes, ReadOnlySpan<OverlayPoint> points, ReadOnlySpan<OverlaySegment> segments,
                           ReadOnlySpan<OverlayLabel> labels, OverlayMask? mask, bool reuseMask)
    {
        Validate(boxes, points, segments, labels, mask);
        int chars = 0;
        foreach (var l in labels) chars += l.Text.Length;
        int palette = Colors.Palette.Count;
        int records = palette + 2 * boxes.Length + points.Length + 2 * segments.Length + 2 * labels.Length + chars;
        bool grown = EnsurePrims(slot, records);
        if (mask != null) grown |= EnsureMask(slot, mask.Values.Length);
        if (grown) WriteDescriptors(slot);

        // Fill the primitive records (layouts as read by overlay.comp).
        var w = (uint*)slot.Prims.Mapped;
        int r = 0;
        void Rec(uint a, uint b, uint c, uint d) { Write(w, r, a, b, c, d); r++; }
        static uint F(float f) => BitConverter.SingleToUInt32Bits(f);
        foreach (var c in Colors.Palette) Rec(c.Packed, 0, 0, 0);
        Bounds boxArea = default, discArea = default, segArea = default, textArea = default;
        int boxOffset = r;
        foreach (var b in boxes)
        {
            Rec(F(b.Box.X), F(b.Box.Y), F(b.Box.Right), F(b.Box.Bottom)); Rec(F(b.Thickness), b.Color.Packed, 0, 0);
            boxArea.Add(MathF.Min(b.Box.X, b.Box.Right), MathF.Min(b.Box.Y, b.Box.Bottom), MathF.Max(b.Box.X, b.Box.Right), MathF.Max(b.Box.Y, b.Box.Bottom));
        }
        int discOffset = r;
        foreach (var q in points)
        {
            Rec(F(q.X), F(q.Y), F(q.Radius), q.Color.Packed);
            discArea.Add(q.X - q.Radius, q.Y - q.Radius, q.X + q.Radius, q.Y + q.Radius);
        }
        int segOffset = r;
        foreach (var s in segments)
        {
            Rec(F(s.X0), F(s.Y0), F(s.X1), F(s.Y1)); Rec(F(s.Thickness), s.Color.Packed, 0, 0);
            float h = s.Thickness / 2;
            segArea.Add(MathF.Min(s.X0, s.X1) - h, MathF.Min(s.Y0, s.Y1) - h, MathF.Max(s.X0, s.X1) + h, MathF.Max(s.Y0, s.Y1) + h);
        }
        // Labels: two records each (background rectangle; background colour, first glyph record, length, text colour),
        // then one record per character (its 35 glyph bits and the scale), spaces included, so that the shader finds a
        // pixel's character by division instead of testing every glyph.
        int bgOffset = r;
        int glyphOffset = bgOffset + 2 * labels.Length, nextGlyph = glyphOffset;
        foreach (var l in labels)
        {
            var (lw, lh) = OverlayLabel.Size(l.Text.Length, l.Scale);
            float x = MathF.Floor(l.X), y = MathF.Floor(l.Y);
            Rec(F(x), F(y), F(x + lw), F(y + lh));
            Rec(l.Background.Packed, (uint)nextGlyph, (uint)l.Text.Length, l.Color.Packed);
            nextGlyph += l.Text.Length;
            textArea.Add(x, y, x + lw, y + lh);   // the glyphs lie inside their label's background
        }
        foreach (var l in labels)
            foreach (char ch in l.Text)
            {
                ulong bits = ch == ' ' ? 0 : BitmapFont.Glyph(ch);
                Rec((uint)bits, (uint)(bits >> 32), (uint)l.Scale, 0);
            }
        Rect maskArea = default;
        if (mask != null)
        {
            // A scene's mask object is taken as immutable (results' masks are): the same object in the same, unreplaced
            // buffer is already there. Draw (any caller's arrays) always copies.
            if (!reuseMask || grown || !ReferenceEquals(mask, slot.UploadedMask))
            {
                mask.Values.Span.CopyTo(new Span<float>(slot.Mask.Mapped, mask.Values.Length));
                slot.UploadedMaskArea = MaskArea(mask);
                slot.UploadedMask = reuseMask ? mask : null;
            }
            maskArea = slot.UploadedMaskArea;
        }

        var push = new Push { Width = Width, Height = Height };
        if (mask != null)
        {
            push.MaskW = mask.Width; push.MaskH = mask.Height; push.MaskMode = mask.Threshold.HasValue ? 0 : 1;
            push.ScaleX = mask.Transform.ScaleX; push.ScaleY = mask.Transform.ScaleY;
            push.OffsetX = mask.Transform.OffsetX; push.OffsetY = mask.Transform.OffsetY;
            push.Threshold = mask.Threshold ?? 0; push.Alpha = mask.Alpha; push.MaskColor = mask.Color.Packed;
            push.PaletteOffset = 0; push.PaletteCount = palette; push.Bilinear = mask.Bilinear ? 1 : 0;
        }
        return new Passes(push, mask != null, (boxOffset, boxes.Length), (discOffset, points.Length), (segOffset, segments.Length),
                          (bgOffset, labels.Length), (glyphOffset, chars),
                          boxArea.ToRect(Width, Height), discArea.ToRect(Width, Height), segArea.ToRect(Width, Height), textArea.ToRect(Width, Height),
                          maskArea);
    }

    /// <summary>
    /// The frame pixels the mask pass can change: the bounding box of the map cells that draw (value ≥ threshold, or a
    /// class id above 0), grown by the cells bilinear sampling reaches, mapped to the frame. A text map is mostly empty,
    /// so this spares the per-pixel sampling of most of the frame; an empty map records no pass at all.
    /// </summary>
    private Rect MaskArea(OverlayMask mask)
    {
        var v = mask.Values.Span;
        float cut = mask.Threshold ?? 0.5f;   // class ids: floor(v + 0.5) > 0 exactly when v ≥ 0.5
        int w = mask.Width, h = mask.Height, x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
        {
            var row = v.Slice(y * w, w);
            int first = -1, last = -1;
            for (int x = 0; x < w; x++)
                if (row[x] >= cut) { if (first < 0) first = x; last = x; }
            if (first < 0) continue;
            if (y < y0) y0 = y;
            y1 = y;
            if (first < x0) x0 = first;
            if (last > x1) x1 = last;
        }
        if (x1 < 0) return default;
        // Model cells [x0, x1] draw; a bilinear sample at model position m reads cells floor(m − 0.5) and the next one.
        float m = mask.Bilinear ? 1.5f : 0f;
        var t = mask.Transform;
        var (fx0, fy0) = t.ToFrame(x0 - m, y0 - m);
        var (fx1, fy1) = t.ToFrame(x1 + 1 + m, y1 + 1 + m);
        Bounds b = default;
        b.Add(MathF.Min(fx0, fx1), MathF.Min(fy0, fy1), MathF.Max(fx0, fx1), MathF.Max(fy0, fy1));
        return b.ToRect(Width, Height);
    }

    /// <summary>Draws everything in <paramref name="scene"/> (see the other overload), and waits.</summary>
    public void Draw(OverlayScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        Draw(CollectionsMarshal.AsSpan(scene.Boxes), CollectionsMarshal.AsSpan(scene.Points),
             CollectionsMarshal.AsSpan(scene.Segments), CollectionsMarshal.AsSpan(scene.Labels), scene.Mask);
    }

    /// <summary>Copies the frame (<see cref="FrameByteCount"/> RGBA bytes) into <paramref name="destination"/>.</summary>
    public void ReadRgba(Span<byte> destination)
    {
        using var use = _use.Enter();
        ThrowIfDisposed();
        ThrowIfTargets();
        if (destination.Length != FrameByteCount)
            throw new ArgumentException($"An RGBA8 frame of {Width}x{Height} has {FrameByteCount} bytes; the destination holds {destination.Length}.", nameof(destination));
        new ReadOnlySpan<byte>(_frame.Mapped, FrameByteCount).CopyTo(destination);
    }

    /// <summary>The frame as a new RGBA byte array.</summary>
    public byte[] ReadRgba()
    {
        var r = new byte[FrameByteCount];
        ReadRgba(r);
        return r;
    }

    /// <summary>Writes the frame to <paramref name="path"/> as a PNG.</summary>
    public void SavePng(string path)
    {
        using var image = SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(ReadRgba(), Width, Height);
        image.SaveAsPng(path);
    }

    // --------------------------------------------------------------------------------------------------------

    /// <summary>Mirror of the push-constant block of shaders/overlay.comp.</summary>
    [PushConstants("overlay")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct Push
    {
        public int Width, Height;
        public int Offset, Count, Offset2, Count2;
        public int MaskW, MaskH, MaskMode;
        public float ScaleX, ScaleY, OffsetX, OffsetY;
        public float Threshold, Alpha;
        public uint MaskColor;
        public int PaletteOffset, PaletteCount;
        public int Bilinear;
        public int RegionX, RegionY, RegionW, RegionH;
    }

    private static void Write(uint* w, int record, uint a, uint b, uint c, uint d)
    {
        w[4 * record] = a; w[4 * record + 1] = b; w[4 * record + 2] = c; w[4 * record + 3] = d;
    }

    private static bool Bad(float v) => !(v >= 0) || float.IsInfinity(v);

    private int Validate(ReadOnlySpan<OverlayBox> boxes, ReadOnlySpan<OverlayPoint> points, ReadOnlySpan<OverlaySegment> segments,
                         ReadOnlySpan<OverlayLabel> labels, OverlayMask? mask)
    {
        for (int i = 0; i < boxes.Length; i++)
        {
            if (Bad(boxes[i].Thickness)) throw new ArgumentException($"Box {i} has thickness {boxes[i].Thickness}; it must be finite and 0 or more.", nameof(boxes));
            var b = boxes[i].Box;
            if (!float.IsFinite(b.X) || !float.IsFinite(b.Y) || !float.IsFinite(b.W) || !float.IsFinite(b.H))
                throw new ArgumentException($"Box {i} ({b.X}, {b.Y}, {b.W}x{b.H}) has a non-finite coordinate.", nameof(boxes));
        }
        for (int i = 0; i < points.Length; i++)
        {
            if (Bad(points[i].Radius)) throw new ArgumentException($"Point {i} has radius {points[i].Radius}; it must be finite and 0 or more.", nameof(points));
            if (!float.IsFinite(points[i].X) || !float.IsFinite(points[i].Y)) throw new ArgumentException($"Point {i} ({points[i].X}, {points[i].Y}) is not finite.", nameof(points));
        }
        for (int i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            if (Bad(s.Thickness)) throw new ArgumentException($"Segment {i} has thickness {s.Thickness}; it must be finite and 0 or more.", nameof(segments));
            if (!float.IsFinite(s.X0) || !float.IsFinite(s.Y0) || !float.IsFinite(s.X1) || !float.IsFinite(s.Y1))
                throw new ArgumentException($"Segment {i} ({s.X0}, {s.Y0})-({s.X1}, {s.Y1}) has a non-finite coordinate.", nameof(segments));
        }
        int glyphs = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var l = labels[i];
            if (l.Text == null) throw new ArgumentException($"Label {i} has no text.", nameof(labels));
            if (l.Scale < 1 || l.Scale > 64) throw new ArgumentException($"Label {i} has scale {l.Scale}; it must be 1..64.", nameof(labels));
            if (!float.IsFinite(l.X) || !float.IsFinite(l.Y) || Math.Abs(l.X) > 1e6 || Math.Abs(l.Y) > 1e6)
                throw new ArgumentException($"Label {i} position ({l.X}, {l.Y}) must be finite and within ±1e6.", nameof(labels));
            foreach (char c in l.Text)
            {
                if (!BitmapFont.Supports(c)) throw new ArgumentException($"Label {i} \"{l.Text}\": {BitmapFont.GlyphErrorText(c)}", nameof(labels));
                if (c != ' ') glyphs++;
            }
        }
        if (mask != null)
        {
            if (mask.Width <= 0 || mask.Height <= 0) throw new ArgumentException($"Mask size {mask.Width}x{mask.Height} must be positive.", nameof(mask));
            long n = (long)mask.Width * mask.Height;
            if (mask.Values.Length != n)
                throw new ArgumentException($"The mask holds {mask.Values.Length} values; {mask.Width}x{mask.Height} needs {n}.", nameof(mask));
            if (!(mask.Alpha >= 0 && mask.Alpha <= 1)) throw new ArgumentException($"Mask alpha {mask.Alpha} must be within 0..1.", nameof(mask));
            var t = mask.Transform ?? throw new ArgumentException("The mask needs a frame transform.", nameof(mask));
            if (!(t.ScaleX > 0) || !(t.ScaleY > 0) || !float.IsFinite(t.ScaleX) || !float.IsFinite(t.ScaleY) || !float.IsFinite(t.OffsetX) || !float.IsFinite(t.OffsetY))
                throw new ArgumentException($"Mask transform scale ({t.ScaleX}, {t.ScaleY}) must be positive and finite, offset ({t.OffsetX}, {t.OffsetY}) finite.", nameof(mask));
            if (mask.Threshold is float th && float.IsNaN(th)) throw new ArgumentException("Mask threshold is NaN.", nameof(mask));
            if (mask.Bilinear && mask.Threshold == null)
                throw new ArgumentException("Bilinear mask sampling needs a Threshold: class ids cannot be interpolated.", nameof(mask));
        }
        return glyphs;
    }

    /// <summary>Makes the slot's mask buffer hold at least <paramref name="floats"/> values; true if it was replaced.</summary>
    private bool EnsureMask(Slot slot, int floats)
    {
        if (floats <= slot.MaskCapacity) return false;
        int cap = Math.Max(floats, 2 * slot.MaskCapacity);
        if ((ulong)cap * 4 > _ctx.DeviceInfo.MaxStorageBufferRange)
            throw new ArgumentException($"A mask of {floats:N0} values exceeds the device's binding limit of {_ctx.DeviceInfo.MaxStorageBufferRange:N0} bytes.");
        slot.MaskArena?.Dispose();
        slot.MaskArena = new MemoryArena(_ctx, MemoryUsage.Staging);
        slot.Mask = slot.MaskArena.Allocate((ulong)cap * 4, "overlay mask");
        slot.MaskCapacity = cap;
        return true;
    }

    /// <summary>Makes the slot's primitive buffer hold at least <paramref name="records"/> 16-byte records; true if it was replaced.</summary>
    private bool EnsurePrims(Slot slot, int records)
    {
        if (records <= slot.PrimCapacity) return false;
        int cap = Math.Max(records, 2 * slot.PrimCapacity);
        if ((ulong)cap * 16 > _ctx.DeviceInfo.MaxStorageBufferRange)
            throw new ArgumentException($"{records:N0} overlay primitive records exceed the device's binding limit of {_ctx.DeviceInfo.MaxStorageBufferRange:N0} bytes.");
        slot.PrimArena?.Dispose();
        slot.PrimArena = new MemoryArena(_ctx, MemoryUsage.Staging);
        slot.Prims = slot.PrimArena.Allocate((ulong)cap * 16, "overlay primitives");
        slot.PrimCapacity = cap;
        return true;
    }

    private DescriptorPool CreateDescriptorPool()
    {
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = (uint)(3 * Kinds * _slots.Length) };
        var ci = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = (uint)(Kinds * _slots.Length), PoolSizeCount = 1, PPoolSizes = &size };
        DescriptorPool pool;
        _ctx.Vk.CreateDescriptorPool(_ctx.Device, &ci, null, &pool).Check("vkCreateDescriptorPool");
        return pool;
    }

    // Called only while no draw of the slot is in flight (Draw waits; a pipeline reuses a slot after its frame completed),
    // so the sets may be rewritten.
    private void WriteDescriptors(Slot slot)
    {
        if (_descriptorPool.Handle == 0 || slot.Sets[0].Handle == 0) return;
        var infos = stackalloc DescriptorBufferInfo[3];
        infos[0] = new DescriptorBufferInfo(slot.Frame.Buffer, slot.Frame.Offset, (ulong)Width * (ulong)Height * 4);
        infos[1] = new DescriptorBufferInfo(slot.Mask.Buffer, slot.Mask.Offset, (ulong)slot.MaskCapacity * 4);
        infos[2] = new DescriptorBufferInfo(slot.Prims.Buffer, slot.Prims.Offset, (ulong)slot.PrimCapacity * 16);
        var writes = stackalloc WriteDescriptorSet[3 * Kinds];
        for (int k = 0; k < Kinds; k++)
            for (int i = 0; i < 3; i++)
                writes[3 * k + i] = new WriteDescriptorSet
                {
                    SType = StructureType.WriteDescriptorSet, DstSet = slot.Sets[k], DstBinding = (uint)i, DescriptorCount = 1,
                    DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &infos[i],
                };
        _ctx.Vk.UpdateDescriptorSets(_ctx.Device, 3 * Kinds, writes, 0, null);
    }

    // Re-recorded each frame: the primitive counts change every frame, and recording five dispatches costs
    // microseconds; resetting the buffer allocates nothing.
    private bool RecordPasses(CommandBuffer cmd, Slot slot, Passes passes)
    {
        var vk = _ctx.Vk;
        var (push, mask, boxes, discs, segments, backgrounds, glyphs, boxArea, discArea, segArea, textArea, maskArea) = passes;
        bool first = true;
        for (int k = 0; k < Kinds; k++)
        {
            var p = push;
            Rect area;
            switch (k)
            {
                case 0: if (!mask) continue; area = maskArea; break;
                case 1: if (boxes.Count == 0) continue; (p.Offset, p.Count) = boxes; area = boxArea; break;
                case 2: if (discs.Count == 0) continue; (p.Offset, p.Count) = discs; area = discArea; break;
                case 3: if (segments.Count == 0) continue; (p.Offset, p.Count) = segments; area = segArea; break;
                default:
                    if (backgrounds.Count == 0) continue;
                    (p.Offset, p.Count) = backgrounds; (p.Offset2, p.Count2) = glyphs; area = textArea; break;
            }
            // Only the pixels the pass's primitives can cover are dispatched (a few boxes touch a small part of the frame).
            if (area.IsEmpty) continue;
            (p.RegionX, p.RegionY, p.RegionW, p.RegionH) = (area.X0, area.Y0, area.X1 - area.X0, area.Y1 - area.Y0);
            var (gx, gy) = LayerCompiler.Grid(((long)p.RegionW * p.RegionH + 63) / 64);
            if (!first)
            {
                // Each pass reads and writes the frame the previous pass wrote.
                _ctx.CmdMemoryBarrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);
            }
            first = false;
            var kernel = _kernels[k];
            var set = slot.Sets[k];
            vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, kernel.Pipeline);
            vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, kernel.Layout, 0, 1, &set, 0, null);
            vk.CmdPushConstants(cmd, kernel.Layout, ShaderStageFlags.ComputeBit, 0, (uint)sizeof(Push), &p);
            vk.CmdDispatch(cmd, gx, gy, 1);
        }
        return !first;
    }

    private void ThrowIfTargets()
    {
        if (_frameArena == null) throw new InvalidOperationException("This overlay renderer draws into a frame pipeline's frames; it has no frame of its own.");
    }

    private void ThrowIfDisposed()
    {
        _ctx.ThrowIfDisposed();
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        using var use = _use.Enter();
        _disposed = true;
        if (_ctx == null) return;
        _ctx.Untrack(_tracked);
        var vk = _ctx.Vk;
        if (_fence.Handle != 0)
        {
            var f = _fence;
            vk.WaitForFences(_ctx.Device, 1, &f, true, 10_000_000_000UL);
            vk.DestroyFence(_ctx.Device, f, null);
        }
        if (_pool.Handle != 0) vk.DestroyCommandPool(_ctx.Device, _pool, null);
        if (_descriptorPool.Handle != 0) vk.DestroyDescriptorPool(_ctx.Device, _descriptorPool, null);
        foreach (var slot in _slots ?? Array.Empty<Slot>())
        {
            slot?.MaskArena?.Dispose();
            slot?.PrimArena?.Dispose();
        }
        _frameArena?.Dispose();
    }
}
