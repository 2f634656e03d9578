// Compute pipelines built from the SPIR-V embedded in this assembly, specialised per layer, cached in memory and on disk.
using System.Reflection;
using Silk.NET.Vulkan;

namespace VulkanCnn.Vulkan;

/// <summary>A compute pipeline with the layouts that describe its bindings: N storage buffers and a push-constant block.</summary>
internal sealed class Kernel
{
    public required string Name { get; init; }
    public required Pipeline Pipeline { get; init; }
    public required PipelineLayout Layout { get; init; }
    public required DescriptorSetLayout SetLayout { get; init; }
    public required int BindingCount { get; init; }
    public required uint PushConstantSize { get; init; }
}

internal sealed unsafe class PipelineStore : IDisposable
{
    private readonly VulkanContext _ctx;
    private readonly string? _cacheFile;
    private readonly PipelineCache _cache;
    private readonly Dictionary<string, ShaderModule> _modules = new();
    private readonly Dictionary<int, DescriptorSetLayout> _setLayouts = new();
    private readonly Dictionary<(int, uint), PipelineLayout> _layouts = new();
    private readonly Dictionary<string, Kernel> _kernels = new();
    private readonly object _lock = new();
    private int _created;

    /// <summary>Pipelines created so far (not counting in-memory cache hits).</summary>
    public int PipelinesCreated => _created;

    /// <summary>Time spent in vkCreateComputePipelines.</summary>
    public TimeSpan CompileTime { get; private set; }

    public PipelineStore(VulkanContext ctx, string? cacheDir)
    {
        _ctx = ctx;
        byte[] initial = Array.Empty<byte>();
        if (cacheDir != null)
        {
            _cacheFile = Path.Combine(cacheDir, $"pipelines-{ctx.DeviceInfo.PipelineCacheKey}.bin");
            try { if (File.Exists(_cacheFile)) initial = File.ReadAllBytes(_cacheFile); }
            catch (IOException) { initial = Array.Empty<byte>(); }
            catch (UnauthorizedAccessException) { initial = Array.Empty<byte>(); }
        }
        _cache = CreateCache(initial);
    }

    private PipelineCache CreateCache(byte[] data)
    {
        fixed (byte* p = data)
        {
            var ci = new PipelineCacheCreateInfo { SType = StructureType.PipelineCacheCreateInfo, InitialDataSize = (nuint)data.Length, PInitialData = p };
            PipelineCache cache;
            var r = _ctx.Vk.CreatePipelineCache(_ctx.Device, &ci, null, &cache);
            if (r < Result.Success && data.Length > 0)
            {
                // A stale or corrupt file is not an error: start empty.
                ci.InitialDataSize = 0; ci.PInitialData = null;
                r = _ctx.Vk.CreatePipelineCache(_ctx.Device, &ci, null, &cache);
            }
            r.Check("vkCreatePipelineCache");
            return cache;
        }
    }

    /// <summary>Names of the embedded shaders (file names without .comp).</summary>
    public static IReadOnlyList<string> ShaderNames =>
        typeof(PipelineStore).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("shaders/", StringComparison.Ordinal) && n.EndsWith(".spv", StringComparison.Ordinal))
            .Select(n => n["shaders/".Length..^4]).OrderBy(n => n).ToArray();

    public static byte[] LoadSpirv(string name)
    {
        using var s = typeof(PipelineStore).Assembly.GetManifestResourceStream($"shaders/{name}.spv")
            ?? throw new InvalidOperationException($"Shader '{name}' is not embedded in VulkanCnn.dll (shaders/{name}.comp missing from the build?).");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Gets (creating on first use) the pipeline for <paramref name="shader"/> specialised with <paramref name="spec"/>
    /// (constant_id i receives spec[i]).</summary>
    public Kernel Get(string shader, int bindings, uint pushSize, ReadOnlySpan<int> spec)
    {
        var key = shader + ":" + string.Join(',', spec.ToArray());
        lock (_lock)
        {
            if (_kernels.TryGetValue(key, out var k)) return k;
            if (pushSize > _ctx.DeviceInfo.MaxPushConstantsSize)
                throw new InvalidOperationException($"Shader {shader} needs {pushSize} bytes of push constants; the device allows {_ctx.DeviceInfo.MaxPushConstantsSize}.");
            var module = GetModule(shader);
            var setLayout = GetSetLayout(bindings);
            var layout = GetLayout(bindings, pushSize, setLayout);

            var entries = stackalloc SpecializationMapEntry[Math.Max(1, spec.Length)];
            var data = stackalloc int[Math.Max(1, spec.Length)];
            for (int i = 0; i < spec.Length; i++)
            {
                entries[i] = new SpecializationMapEntry { ConstantID = (uint)i, Offset = (uint)(i * 4), Size = 4 };
                data[i] = spec[i];
            }
            var si = new SpecializationInfo { MapEntryCount = (uint)spec.Length, PMapEntries = entries, DataSize = (nuint)(spec.Length * 4), PData = data };
            var main = stackalloc byte[] { (byte)'m', (byte)'a', (byte)'i', (byte)'n', 0 };
            var ci = new ComputePipelineCreateInfo
            {
                SType = StructureType.ComputePipelineCreateInfo,
                Stage = new PipelineShaderStageCreateInfo
                {
                    SType = StructureType.PipelineShaderStageCreateInfo,
                    Stage = ShaderStageFlags.ComputeBit,
                    Module = module,
                    PName = main,
                    PSpecializationInfo = spec.Length > 0 ? &si : null,
                },
                Layout = layout,
            };
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Pipeline pipeline;
            _ctx.Vk.CreateComputePipelines(_ctx.Device, _cache, 1, &ci, null, &pipeline).Check($"vkCreateComputePipelines({shader})");
            CompileTime += sw.Elapsed;
            _created++;
            k = new Kernel { Name = shader, Pipeline = pipeline, Layout = layout, SetLayout = setLayout, BindingCount = bindings, PushConstantSize = pushSize };
            _kernels[key] = k;
            return k;
        }
    }

    private ShaderModule GetModule(string name)
    {
        if (_modules.TryGetValue(name, out var m)) return m;
        var code = LoadSpirv(name);
        fixed (byte* p = code)
        {
            var ci = new ShaderModuleCreateInfo { SType = StructureType.ShaderModuleCreateInfo, CodeSize = (nuint)code.Length, PCode = (uint*)p };
            _ctx.Vk.CreateShaderModule(_ctx.Device, &ci, null, &m).Check($"vkCreateShaderModule({name})");
        }
        _modules[name] = m;
        return m;
    }

    private DescriptorSetLayout GetSetLayout(int bindings)
    {
        if (_setLayouts.TryGetValue(bindings, out var l)) return l;
        var b = stackalloc DescriptorSetLayoutBinding[bindings];
        for (int i = 0; i < bindings; i++)
            b[i] = new DescriptorSetLayoutBinding
            {
                Binding = (uint)i,
                DescriptorType = DescriptorType.StorageBuffer,
                DescriptorCount = 1,
                StageFlags = ShaderStageFlags.ComputeBit,
            };
        var ci = new DescriptorSetLayoutCreateInfo { SType = StructureType.DescriptorSetLayoutCreateInfo, BindingCount = (uint)bindings, PBindings = b };
        _ctx.Vk.CreateDescriptorSetLayout(_ctx.Device, &ci, null, &l).Check("vkCreateDescriptorSetLayout");
        _setLayouts[bindings] = l;
        return l;
    }

    private PipelineLayout GetLayout(int bindings, uint pushSize, DescriptorSetLayout setLayout)
    {
        if (_layouts.TryGetValue((bindings, pushSize), out var l)) return l;
        var range = new PushConstantRange { StageFlags = ShaderStageFlags.ComputeBit, Offset = 0, Size = pushSize };
        var ci = new PipelineLayoutCreateInfo
        {
            SType = StructureType.PipelineLayoutCreateInfo,
            SetLayoutCount = 1,
            PSetLayouts = &setLayout,
            PushConstantRangeCount = pushSize > 0 ? 1u : 0u,
            PPushConstantRanges = &range,
        };
        _ctx.Vk.CreatePipelineLayout(_ctx.Device, &ci, null, &l).Check("vkCreatePipelineLayout");
        _layouts[(bindings, pushSize)] = l;
        return l;
    }

    /// <summary>Writes the pipeline cache to disk (also done on dispose). Failures to write are ignored: the cache is an optimisation.</summary>
    public void Save()
    {
        if (_cacheFile == null || _created == 0) return;
        nuint size = 0;
        if (_ctx.Vk.GetPipelineCacheData(_ctx.Device, _cache, &size, null) != Result.Success || size == 0) return;
        var data = new byte[size];
        fixed (byte* p = data)
            if (_ctx.Vk.GetPipelineCacheData(_ctx.Device, _cache, &size, p) != Result.Success) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_cacheFile)!);
            var tmp = _cacheFile + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(tmp, data.AsSpan(0, (int)size).ToArray());
            File.Move(tmp, _cacheFile, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        Save();
        var vk = _ctx.Vk;
        var dev = _ctx.Device;
        foreach (var k in _kernels.Values) vk.DestroyPipeline(dev, k.Pipeline, null);
        foreach (var l in _layouts.Values) vk.DestroyPipelineLayout(dev, l, null);
        foreach (var l in _setLayouts.Values) vk.DestroyDescriptorSetLayout(dev, l, null);
        foreach (var m in _modules.Values) vk.DestroyShaderModule(dev, m, null);
        vk.DestroyPipelineCache(dev, _cache, null);
        _kernels.Clear(); _layouts.Clear(); _setLayouts.Clear(); _modules.Clear();
    }
}
