// Measures a device's fp32 throughput with an FMA-bound shader (shaders/peak.comp), so that benchmarks can state
// the fraction of peak they reach.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

/// <summary>Result of <see cref="PeakMeter.Measure"/>.</summary>
public sealed record PeakResult(double GflopsPerSecond, double Milliseconds, long Flops);

/// <summary>Device peak measurement.</summary>
public static unsafe class PeakMeter
{
    [PushConstants("peak")]
    [StructLayout(LayoutKind.Sequential)]
    private struct Push { public float A, B; }

    /// <summary>Runs the FMA kernel a few times and returns the best throughput (2 FLOP per FMA).</summary>
    public static PeakResult Measure(VulkanContext ctx, int repeats = 3)
    {
        const int iterations = 512, local = 64;
        // Enough work to take a measurable time on a software device, not too long on a real GPU.
        int groups = ctx.DeviceInfo.Kind == DeviceKind.Cpu ? 2048 : 65535;
        long invocations = (long)groups * local;
        long flops = invocations * iterations * 8 * 4 * 2;
        using var arena = new MemoryArena(ctx, MemoryUsage.Device);
        var output = arena.Allocate((ulong)invocations * 16, "peak output");
        var kernel = ctx.Pipelines.Get("peak", 1, 8, new[] { local, iterations });
        var pool = CreatePool(ctx, kernel);
        try
        {
            var layout = kernel.SetLayout;
            var ai = new DescriptorSetAllocateInfo { SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = pool, DescriptorSetCount = 1, PSetLayouts = &layout };
            DescriptorSet allocated;
            ctx.Vk.AllocateDescriptorSets(ctx.Device, &ai, &allocated).Check("vkAllocateDescriptorSets");
            var set = allocated;
            var info = new DescriptorBufferInfo(output.Buffer, output.Offset, output.Size);
            var write = new WriteDescriptorSet { SType = StructureType.WriteDescriptorSet, DstSet = allocated, DstBinding = 0, DescriptorCount = 1, DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &info };
            ctx.Vk.UpdateDescriptorSets(ctx.Device, 1, &write, 0, null);
            double best = double.MaxValue;
            for (int r = 0; r < repeats + 1; r++)
            {
                var sw = Stopwatch.StartNew();
                ctx.RunOnce(cmd =>
                {
                    ctx.Vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, kernel.Pipeline);
                    var s = set;
                    ctx.Vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, kernel.Layout, 0, 1, &s, 0, null);
                    var push = new Push { A = 0.999f, B = 0.001f };
                    ctx.Vk.CmdPushConstants(cmd, kernel.Layout, ShaderStageFlags.ComputeBit, 0, 8, &push);
                    ctx.Vk.CmdDispatch(cmd, (uint)groups, 1, 1);
                });
                if (r > 0) best = Math.Min(best, sw.Elapsed.TotalMilliseconds);   // the first run warms up
            }
            return new PeakResult(flops / (best * 1e6), best, flops);
        }
        finally
        {
            ctx.Vk.DestroyDescriptorPool(ctx.Device, pool, null);
        }
    }

    private static DescriptorPool CreatePool(VulkanContext ctx, Kernel kernel)
    {
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = 1 };
        var ci = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = 1, PoolSizeCount = 1, PPoolSizes = &size };
        DescriptorPool pool;
        ctx.Vk.CreateDescriptorPool(ctx.Device, &ci, null, &pool).Check("vkCreateDescriptorPool");
        return pool;
    }
}
