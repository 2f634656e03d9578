// BlazeFaceTask: the GPU decoding and weighted NMS against the C# decoder (BlazeFaceDecoder) on real model outputs and
// on synthetic outputs (nothing above the threshold, more faces than the output cap, tied scores).
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;

namespace VulkanCnn.Tests.Vision;

public class BlazeFaceTaskTests : GpuTest
{
    internal static string Model(BlazeFaceModel kind) => TestFiles.Cached("models", "blazeface", "ONNX",
        kind == BlazeFaceModel.Front ? "face_detection_front_128x128_barracuda.onnx" : "face_detection_back_256x256_barracuda.onnx");

    internal static (byte[] Rgba, int W, int H) LoadRgba(string file)
    {
        using var image = Image.Load<Rgba32>(TestFiles.Cached("images", file));
        var bytes = new byte[4 * image.Width * image.Height];
        image.CopyPixelDataTo(bytes);
        return (bytes, image.Width, image.Height);
    }

    /// <summary>Asserts the GPU faces equal the C# decoder's: same number and order, every value within 1e-3 abs/rel.</summary>
    private static void AssertSameFaces(IReadOnlyList<FaceDetection> expected, IReadOnlyList<FaceDetection> actual, string what)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count), $"{what}: number of faces");
        static void Close(float e, float a, string name)
        {
            float d = Math.Abs(e - a);
            Assert.That(d <= 1e-3f || d <= 1e-3f * Math.Max(Math.Abs(e), Math.Abs(a)), $"{name}: expected {e:G7}, got {a:G7}");
        }
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            string w = $"{what}: face {i}";
            Close(e.Score, a.Score, w + " score");
            Close(e.Box.X, a.Box.X, w + " left");
            Close(e.Box.Y, a.Box.Y, w + " top");
            Close(e.Box.Right, a.Box.Right, w + " right");
            Close(e.Box.Bottom, a.Box.Bottom, w + " bottom");
            for (int k = 0; k < 6; k++)
            {
                Close(e.Keypoints[k].X, a.Keypoints[k].X, $"{w} keypoint {k} x");
                Close(e.Keypoints[k].Y, a.Keypoints[k].Y, $"{w} keypoint {k} y");
            }
        }
    }

    /// <summary>The session's four outputs gathered as the C# decoder takes them (896 × 16 regressors, 896 logits).</summary>
    private static (float[] Reg, float[] Scores) ReadOutputs(BlazeFaceTask task, BlazeFaceModel kind, string model)
    {
        var l = BlazeFaceGpuDecoder.OutputLayout(task.Session.Network, model, kind);
        var reg = new float[896 * 16];
        var scores = new float[896];
        task.Session.GetOutput(reg.AsSpan(0, 512 * 16), l.RegFine);
        task.Session.GetOutput(reg.AsSpan(512 * 16), l.RegCoarse);
        task.Session.GetOutput(scores.AsSpan(0, 512), l.ScoreFine);
        task.Session.GetOutput(scores.AsSpan(512), l.ScoreCoarse);
        return (reg, scores);
    }

    [TestCase(BlazeFaceModel.Front, "astronaut.png", 0.75f)]
    [TestCase(BlazeFaceModel.Front, "camera.png", 0.75f)]
    [TestCase(BlazeFaceModel.Front, "page.png", 0.75f)]
    [TestCase(BlazeFaceModel.Back, "astronaut.png", 0.65f)]
    [TestCase(BlazeFaceModel.Back, "camera.png", 0.65f)]
    [TestCase(BlazeFaceModel.Back, "page.png", 0.65f)]
    // A low threshold: many candidates, several groups, and many suppressed ones.
    [TestCase(BlazeFaceModel.Front, "astronaut.png", 0.05f)]
    [TestCase(BlazeFaceModel.Back, "coffee.png", 0.05f)]
    public void GpuDecodingEqualsTheCpuDecoderOnRealOutputs(BlazeFaceModel kind, string file, float minScore)
    {
        string model = Model(kind);
        using var task = new BlazeFaceTask(Ctx, model, kind, minScore);
        var (rgba, w, h) = LoadRgba(file);
        var result = task.Run(rgba, w, h, PixelFormat.Rgba8, frameNumber: 7);
        var (reg, scores) = ReadOutputs(task, kind, model);
        var expected = BlazeFaceDecoder.Decode(kind, reg, scores, minScore);
        int candidates = scores.Count(s => 1 / (1 + MathF.Exp(-Math.Clamp(s, -100, 100))) >= minScore);
        TestContext.Out.WriteLine($"{kind} {file} min {minScore}: {candidates} candidates, {expected.Count} faces; post-processing {task.LastPostprocessMilliseconds:0.00} ms");
        Assert.That(task.LastCandidateCount, Is.EqualTo(candidates), "candidates counted on the GPU");
        var gpu = task.ReadFaces(null);
        AssertSameFaces(expected.Take(BlazeFaceTask.MaxFaces).ToList(), gpu, $"{kind} {file}");
        // The result maps the same faces to frame pixels through the preprocessor's letterbox.
        Assert.That(result.FrameNumber, Is.EqualTo(7));
        Assert.That(result.Detections, Has.Count.EqualTo(gpu.Count));
        var t = FramePreprocessor.ComputeTransform(w, h, task.Input);
        float size = BlazeFaceDecoder.InputSize(kind);
        for (int i = 0; i < gpu.Count; i++)
        {
            var (x, y) = t.ToFrame(gpu[i].Box.X * size, gpu[i].Box.Y * size);
            Assert.That(result.Detections[i].Box.X, Is.EqualTo(x).Within(1e-3));
            Assert.That(result.Detections[i].Box.Y, Is.EqualTo(y).Within(1e-3));
            Assert.That(result.Detections[i].Label, Is.EqualTo("face"));
            Assert.That(result.Detections[i].Keypoints, Has.Count.EqualTo(6));
        }
    }

    [Test]
    public void FindsTheAstronautThroughTheGpuPreprocessor()
    {
        using var task = new BlazeFaceTask(Ctx, Model(BlazeFaceModel.Front), BlazeFaceModel.Front);
        var (rgba, w, h) = LoadRgba("astronaut.png");
        var face = task.Run(rgba, w, h, PixelFormat.Rgba8).Detections.Single();
        // The hand-measured box of BlazeFaceTests (178, 88, 94 × 98).
        Assert.That(face.Box.Iou(new Box(178, 88, 94, 98)), Is.GreaterThanOrEqualTo(0.5), face.Box.ToString());
        var scene = new OverlayScene();
        task.Draw(task.Run(rgba, w, h, PixelFormat.Rgba8), scene);
        Assert.That(scene.Boxes, Has.Count.EqualTo(1));
        Assert.That(scene.Points, Has.Count.EqualTo(6));
        Assert.That(scene.Labels.Single().Text, Does.StartWith("FACE 0."));
    }

    [Test]
    public unsafe void GpuFacesHoldTheResultForHostShaders()
    {
        // A host consumes the faces on the GPU: here a vkCmdCopyBuffer out of GpuFaces in a later submission stands in
        // for the host's shader. The copy must hold the same faces as the CPU read of the result.
        using var task = new BlazeFaceTask(Ctx, Model(BlazeFaceModel.Front), BlazeFaceModel.Front);
        var (rgba, w, h) = LoadRgba("astronaut.png");
        var result = task.Run(rgba, w, h, PixelFormat.Rgba8);
        var range = task.GpuFaces;
        Assert.That(range.Size, Is.GreaterThanOrEqualTo((ulong)(4 + BlazeFaceTask.MaxFaces * BlazeFaceTask.GpuFaceFloats) * 4));
        using var arena = new MemoryArena(Ctx, MemoryUsage.Staging);
        var copy = arena.Allocate(range.Size, "host copy of the faces");
        copy.AsFloats().Fill(float.NaN);
        Ctx.RunOnce(cmd =>
        {
            var region = new Silk.NET.Vulkan.BufferCopy(range.Offset, copy.Offset, range.Size);
            Ctx.Vk.CmdCopyBuffer(cmd, range.Buffer, copy.Buffer, 1, &region);
            var mb = new Silk.NET.Vulkan.MemoryBarrier { SType = Silk.NET.Vulkan.StructureType.MemoryBarrier,
                SrcAccessMask = Silk.NET.Vulkan.AccessFlags.TransferWriteBit, DstAccessMask = Silk.NET.Vulkan.AccessFlags.HostReadBit };
            Ctx.Vk.CmdPipelineBarrier(cmd, Silk.NET.Vulkan.PipelineStageFlags.TransferBit, Silk.NET.Vulkan.PipelineStageFlags.HostBit, 0, 1, &mb, 0, null, 0, null);
        });
        var words = copy.AsFloats();
        uint count = BitConverter.SingleToUInt32Bits(words[0]);
        Assert.That(count, Is.EqualTo((uint)result.Detections.Count).And.EqualTo(1u));
        var t = FramePreprocessor.ComputeTransform(w, h, task.Input);
        float size = BlazeFaceDecoder.InputSize(BlazeFaceModel.Front);
        var face = result.Detections[0];
        var rec = words.Slice(4, BlazeFaceTask.GpuFaceFloats);
        Assert.That(rec[0], Is.EqualTo(face.Score));
        var (x0, y0) = t.ToFrame(rec[1] * size, rec[2] * size);
        var (x1, y1) = t.ToFrame(rec[3] * size, rec[4] * size);
        Assert.That(new[] { x0, y0, x1, y1 }, Is.EqualTo(new[] { face.Box.X, face.Box.Y, face.Box.Right, face.Box.Bottom }).Within(1e-3f));
        for (int k = 0; k < 6; k++)
        {
            var (kx, ky) = t.ToFrame(rec[5 + 2 * k] * size, rec[6 + 2 * k] * size);
            Assert.That(new[] { kx, ky }, Is.EqualTo(new[] { face.Keypoints[k].X, face.Keypoints[k].Y }).Within(1e-3f), $"keypoint {k}");
        }
    }

    /// <summary>Runs the GPU decoder on synthetic outputs in host-visible buffers.</summary>
    private static List<FaceDetection> DecodeOnGpu(float[] reg, float[] scores, float minScore, out int candidates, BlazeFaceModel kind = BlazeFaceModel.Front)
    {
        using var arena = new MemoryArena(Ctx, MemoryUsage.Staging);
        var rf = arena.Allocate(512 * 16 * 4, "reg fine");
        var rc = arena.Allocate(384 * 16 * 4, "reg coarse");
        var sf = arena.Allocate(512 * 4, "score fine");
        var sc = arena.Allocate(384 * 4, "score coarse");
        reg.AsSpan(0, 512 * 16).CopyTo(rf.AsFloats());
        reg.AsSpan(512 * 16).CopyTo(rc.AsFloats());
        scores.AsSpan(0, 512).CopyTo(sf.AsFloats());
        scores.AsSpan(512).CopyTo(sc.AsFloats());
        using var decoder = new BlazeFaceGpuDecoder(Ctx, kind, minScore, 0.3f, rf, rc, sf, sc, 512);
        // Twice: the second run must reset the counter inside the command buffer.
        Ctx.RunOnce(decoder.Record);
        Ctx.RunOnce(decoder.Record);
        candidates = decoder.CandidateCount;
        return decoder.Read(null);
    }

    [Test]
    public void NoCandidatesGiveNoFaces()
    {
        var reg = new float[896 * 16];
        var scores = Enumerable.Repeat(-3f, 896).ToArray();
        scores[100] = float.NaN;
        Assert.That(DecodeOnGpu(reg, scores, 0.75f, out int candidates), Is.Empty);
        Assert.That(candidates, Is.EqualTo(0));
    }

    [Test]
    public void MoreFacesThanTheCapKeepTheBestInCpuOrder()
    {
        // Every anchor a candidate with a small box around its own centre: boxes of anchors in one cell overlap (merged),
        // cells do not, so 16·16 + 8·8 = 320 faces come out of the unbounded algorithm, more than MaxFaces.
        var rng = new Random(5);
        var reg = new float[896 * 16];
        var scores = new float[896];
        for (int i = 0; i < 896; i++)
        {
            float size = i < 512 ? 4f : 8f;   // pixels of a 128 input; cells are 8 and 16 pixels
            reg[i * 16] = (float)(rng.NextDouble() - 0.5);
            reg[i * 16 + 1] = (float)(rng.NextDouble() - 0.5);
            reg[i * 16 + 2] = size * (0.9f + 0.2f * (float)rng.NextDouble());
            reg[i * 16 + 3] = size * (0.9f + 0.2f * (float)rng.NextDouble());
            for (int k = 4; k < 16; k++) reg[i * 16 + k] = (float)(rng.NextDouble() * 6 - 3);
            // Quantised logits: many exact ties, broken by anchor order on both sides.
            scores[i] = MathF.Round((float)rng.NextDouble() * 8, 0) - 1f;
        }
        var expected = BlazeFaceDecoder.Decode(BlazeFaceModel.Front, reg, scores, 0.5f);
        int cpuCandidates = scores.Count(s => 1 / (1 + MathF.Exp(-s)) >= 0.5f);
        Assert.That(expected.Count, Is.GreaterThan(BlazeFaceTask.MaxFaces), "the case must exceed the cap");
        var gpu = DecodeOnGpu(reg, scores, 0.5f, out int candidates);
        Assert.That(candidates, Is.EqualTo(cpuCandidates));
        AssertSameFaces(expected.Take(BlazeFaceTask.MaxFaces).ToList(), gpu, "capped");
    }

    [Test]
    public void AllAnchorsOverlappingMergeIntoOneFace()
    {
        // 896 candidates, all the same box (up to noise): one group, the score-weighted mean of all of them.
        var rng = new Random(11);
        var reg = new float[896 * 16];
        var scores = new float[896];
        for (int i = 0; i < 896; i++)
        {
            var (ax, ay) = BlazeFaceDecoder.Anchors(BlazeFaceModel.Back)[i];
            reg[i * 16] = (0.5f - ax) * 256 + (float)rng.NextDouble();
            reg[i * 16 + 1] = (0.5f - ay) * 256 + (float)rng.NextDouble();
            reg[i * 16 + 2] = 100 + (float)rng.NextDouble() * 5;
            reg[i * 16 + 3] = 90 + (float)rng.NextDouble() * 5;
            for (int k = 4; k < 16; k++) reg[i * 16 + k] = (float)(rng.NextDouble() * 40 - 20);
            scores[i] = (float)rng.NextDouble() * 4;
        }
        var expected = BlazeFaceDecoder.Decode(BlazeFaceModel.Back, reg, scores, 0.5f);
        Assert.That(expected, Has.Count.EqualTo(1));
        var gpu = DecodeOnGpu(reg, scores, 0.5f, out int candidates, BlazeFaceModel.Back);
        Assert.That(candidates, Is.EqualTo(896));
        AssertSameFaces(expected, gpu, "one group of 896");
    }

    [Test]
    public void RejectsModelsThatAreNotBlazeFace()
    {
        string mlsd = TestFiles.Cached("models", "mlsd", "ONNX", "mlsd_320x320_tiny.onnx");
        var e = Assert.Throws<ArgumentException>(() => new BlazeFaceTask(Ctx, mlsd, BlazeFaceModel.Front));
        Assert.That(e!.Message, Does.Contain(mlsd).And.Contain("[1,128,128,3]"));
        var wrongKind = Assert.Throws<ArgumentException>(() => new BlazeFaceTask(Ctx, Model(BlazeFaceModel.Back), BlazeFaceModel.Front));
        Assert.That(wrongKind!.Message, Does.Contain("[1,128,128,3]"));
        Assert.Throws<FileNotFoundException>(() => new BlazeFaceTask(Ctx, "missing.onnx", BlazeFaceModel.Front));
    }
}
