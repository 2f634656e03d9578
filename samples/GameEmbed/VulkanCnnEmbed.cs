// =====================================================================================================================
//  VulkanCnn in a game: THE PART TO COPY. Everything else in samples/GameEmbed is an ordinary Silk.NET.Vulkan game.
//  The game hands its render target to VulkanCnn on the same VkDevice and queue; VulkanCnn copies it, runs the model
//  asynchronously (the render loop never waits for inference), draws the latest boxes over the frame into its own
//  output image, and signals a timeline semaphore. Contract: docs/game-embed.md and docs/vision-pipeline.md.
// =====================================================================================================================
using Silk.NET.Vulkan;
using VulkanCnn.Vision;
using VulkanCnn.Vulkan;
using Image = Silk.NET.Vulkan.Image;
using Semaphore = Silk.NET.Vulkan.Semaphore;

namespace VulkanCnn.Samples.GameEmbed;

internal sealed unsafe class VulkanCnnLayer : IDisposable
{
    private readonly Vk _vk; private readonly Device _device; private readonly int _width, _height;
    private readonly VulkanContext _cnn;        // VulkanCnn on the game's device: adopted, not owned
    private readonly VisionTask _task;          // the model and its GPU post-processing (BlazeFace)
    private readonly FramePipeline _pipeline;   // copy in, infer asynchronously, draw the latest result, copy out
    private bool _disposed;

    /// <summary>Timeline: reaches frame + 1 once VulkanCnn has released that frame's target and <see cref="Output"/> holds it.</summary>
    public Semaphore Done { get; }

    public VulkanCnnLayer(Vk vk, Instance instance, PhysicalDevice gpu, Device device, uint queueFamily, int width, int height,
                          Func<VulkanContext, VisionTask> createTask, FramePipelineOptions? options = null)
    {
        (_vk, _device, _width, _height) = (vk, device, width, height);
        _cnn = new VulkanContext(vk, instance, gpu, device, queueFamily, queueIndex: 0,     // the game's own queue
                                 timelineSemaphoresEnabled: true);                           // the game enabled them
        try { _task = createTask(_cnn); _pipeline = new FramePipeline(_cnn, _task, width, height, options ?? new FramePipelineOptions { Hud = true }); }
        catch { _task?.Dispose(); _cnn.Dispose(); throw; }   // e.g. the model file is missing
        var type = new SemaphoreTypeCreateInfo { SType = StructureType.SemaphoreTypeCreateInfo, SemaphoreType = SemaphoreType.Timeline };
        var info = new SemaphoreCreateInfo { SType = StructureType.SemaphoreCreateInfo, PNext = &type };
        if (vk.CreateSemaphore(device, &info, null, out var done) != Result.Success) { Dispose(); throw new InvalidOperationException("vkCreateSemaphore failed"); }
        Done = done;
    }

    /// <summary>Right after the game's render submit of <paramref name="frame"/> (signalling <paramref name="rendered"/> = frame + 1);
    /// returns VulkanCnn's number for the frame (1, 2, …), which results carry as <see cref="VisionResult.FrameNumber"/>.</summary>
    public long Submit(long frame, Image target, Semaphore rendered) => _pipeline.Submit(
        new RenderFrame(target, Format.R8G8B8A8Unorm, _width, _height, ImageLayout.TransferSrcOptimal)
        { WaitSemaphore = rendered, WaitValue = (ulong)frame + 1, SignalSemaphore = Done, SignalValue = (ulong)frame + 1 });

    public Image Output => _pipeline.OutputImage;              // RGBA8, ShaderReadOnlyOptimal once Done ≥ frame + 1
    public void ReadOutput(Span<byte> rgba) => _pipeline.ReadOutput(rgba);   // CPU copy of the latest output
    public VisionResult? Latest => _pipeline.Latest;            // newest finished result; FrameNumber says whose input
    public FrameStats Stats => _pipeline.Stats;
    public bool Poll() => _pipeline.Poll();                     // picks up a finished result between frames, never blocks
    public bool InferenceInFlight => _pipeline.InferenceInFlight;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pipeline.Dispose(); _task.Dispose(); _cnn.Dispose();   // the context waits for the queue to go idle
        if (Done.Handle != 0) _vk.DestroySemaphore(_device, Done, null);
    }
}
// ============================================ end of the part to copy ================================================
