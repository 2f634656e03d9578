// FfmpegFrameSource: videos, streams and V4L2 webcams through the system ffmpeg, raw frames piped into a latest-wins ring.
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace VulkanCnn.Vision;

/// <summary>
/// Video files, network streams and V4L2 webcams decoded by the system <c>ffmpeg</c> (started without a shell) into raw
/// frames on its standard output. A background thread reads them into a ring of <see cref="FrameSourceOptions.RingSize"/>
/// preallocated buffers; with <see cref="FrameSourceOptions.DropFrames"/> it overwrites the oldest unread frame when the
/// consumer is behind. Errors name the input and quote ffmpeg's last lines; <see cref="Dispose"/> kills ffmpeg.
/// </summary>
public sealed class FfmpegFrameSource : IFrameSource
{
    private enum Slot { Free, Filling, Ready, Reading }

    private static readonly Regex StreamLine = new(@"Stream #0:0.*Video: rawvideo.*?, (\d+)x(\d+)", RegexOptions.Compiled);
    private static readonly Regex FpsText = new(@", (\d+(?:\.\d+)?) fps", RegexOptions.Compiled);

    private readonly Process _process;
    private readonly FrameSourceOptions _options;
    private readonly byte[][] _buffers;
    private readonly Slot[] _state;
    private readonly long[] _numbers;
    private readonly Queue<string> _stderr = new();
    private readonly ManualResetEventSlim _header = new();
    private readonly Thread? _reader;
    private readonly object _lock = new();
    private bool _inOutput, _ended, _disposed;
    private long _produced, _dropped;
    private Exception? _failure;

    /// <summary>Opens a V4L2 camera (<c>/dev/videoN</c>) at the options' size and frame rate.</summary>
    public static FfmpegFrameSource Webcam(string device, FrameSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!File.Exists(device))
        {
            var present = Directory.Exists("/dev") ? Directory.GetFiles("/dev", "video*").Order(StringComparer.Ordinal).ToArray() : Array.Empty<string>();
            throw new IOException($"Camera {device} does not exist (V4L2 devices present: {(present.Length == 0 ? "none" : string.Join(", ", present))}).");
        }
        return new FfmpegFrameSource(device, options ?? new(), camera: true);
    }

    /// <summary>Opens a video file or URL (or anything ffmpeg reads, with <see cref="FrameSourceOptions.InputArguments"/>).</summary>
    public FfmpegFrameSource(string input, FrameSourceOptions? options = null) : this(input, options ?? new(), camera: false) { }

    private FfmpegFrameSource(string input, FrameSourceOptions options, bool camera)
    {
        ArgumentNullException.ThrowIfNull(input);
        FrameSource.Validate(options);
        // Devices (/dev/...) are left to ffmpeg, whose error then names them.
        if (!camera && !input.Contains("://", StringComparison.Ordinal) && !input.StartsWith("/dev/", StringComparison.Ordinal) && !File.Exists(input))
            throw new FileNotFoundException($"Video file '{input}' does not exist.", input);
        Name = input;
        Format = options.Format;
        _options = options;
        string what = camera ? $"camera {input}" : $"'{input}'";

        var psi = new ProcessStartInfo(options.FfmpegPath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in Arguments(input, options, camera)) psi.ArgumentList.Add(a);
        _process = new Process { StartInfo = psi };
        _process.ErrorDataReceived += OnStderr;
        try { _process.Start(); ProcessId = _process.Id; }
        catch (Win32Exception e)
        {
            throw new FileNotFoundException($"ffmpeg ('{options.FfmpegPath}') was not found or cannot run ({e.Message}), so {what} cannot be read: " +
                                            "install the Debian package ffmpeg, or run scripts/setup.sh.", options.FfmpegPath, e);
        }
        try
        {
            _process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!_header.Wait(50))
            {
                if (_process.HasExited)
                {
                    _process.WaitForExit(); // the rest of stderr
                    throw new IOException($"ffmpeg could not open {what} (exit code {_process.ExitCode}){Hint(camera)}:\n{StderrTail()}");
                }
                if (clock.Elapsed > options.StartTimeout)
                    throw new TimeoutException($"ffmpeg did not start delivering {what} within {options.StartTimeout.TotalSeconds:0.###} s{Hint(camera)}:\n{StderrTail()}");
            }
            FrameBytes = FrameSource.FrameBytesOf(what, Width, Height, Format);
            _buffers = new byte[options.RingSize][];
            for (int i = 0; i < _buffers.Length; i++) _buffers[i] = new byte[FrameBytes];
            _state = new Slot[options.RingSize];
            _numbers = new long[options.RingSize];
            _reader = new Thread(ReadFrames) { IsBackground = true, Name = $"ffmpeg reader {input}" };
            _reader.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static string Hint(bool camera) => camera ? "; is it connected and not in use by another program?" : "";

    private static List<string> Arguments(string input, FrameSourceOptions o, bool camera)
    {
        var a = new List<string> { "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info" };
        if (camera)
        {
            a.AddRange(new[] { "-f", "v4l2" });
            if (o.FramesPerSecond is { } f) a.AddRange(new[] { "-framerate", f.ToString(CultureInfo.InvariantCulture) });
            if (o.Width is { } w && o.Height is { } h) a.AddRange(new[] { "-video_size", $"{w}x{h}" });
        }
        else
        {
            if (o.Realtime) a.Add("-re");
            if (o.Loop) a.AddRange(new[] { "-stream_loop", "-1" });
        }
        a.AddRange(o.InputArguments);
        a.AddRange(new[] { "-i", input, "-map", "0:v:0", "-an", "-sn" });
        if (o.Width != null || o.Height != null)
        {
            // -2: the aspect ratio kept, rounded to an even number (YUV formats need one).
            a.AddRange(new[] { "-vf", $"scale={o.Width ?? -2}:{o.Height ?? -2}" });
        }
        string pix = o.Format switch
        {
            PixelFormat.Rgba8 => "rgba", PixelFormat.Bgra8 => "bgra", PixelFormat.Rgb24 => "rgb24", PixelFormat.Yuyv => "yuyv422", PixelFormat.Nv12 => "nv12",
            _ => throw new ArgumentOutOfRangeException(nameof(o), $"Unknown pixel format {(int)o.Format}."),
        };
        a.AddRange(new[] { "-f", "rawvideo", "-pix_fmt", pix, "pipe:1" });
        return a;
    }

    // ffmpeg describes its output stream on stderr before writing the first frame: that line gives the size and rate.
    private void OnStderr(object sender, DataReceivedEventArgs e)
    {
        if (e.Data == null) return;
        lock (_stderr)
        {
            _stderr.Enqueue(e.Data);
            while (_stderr.Count > 12) _stderr.Dequeue();
        }
        if (_header.IsSet) return;
        if (e.Data.StartsWith("Output #0", StringComparison.Ordinal)) _inOutput = true;
        else if (_inOutput && StreamLine.Match(e.Data) is { Success: true } m)
        {
            Width = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Height = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            var fps = FpsText.Match(e.Data);
            FramesPerSecond = fps.Success ? double.Parse(fps.Groups[1].Value, CultureInfo.InvariantCulture) : _options.FramesPerSecond ?? 0;
            _header.Set();
        }
    }

    private string StderrTail()
    {
        lock (_stderr) return _stderr.Count == 0 ? "(ffmpeg printed nothing)" : string.Join("\n", _stderr.Select(l => "  " + l));
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Width { get; private set; }
    /// <inheritdoc/>
    public int Height { get; private set; }
    /// <inheritdoc/>
    public PixelFormat Format { get; }
    /// <inheritdoc/>
    public int FrameBytes { get; }
    /// <inheritdoc/>
    public double FramesPerSecond { get; private set; }
    /// <inheritdoc/>
    public long DroppedFrames { get { lock (_lock) return _dropped; } }
    /// <summary>Frames read from ffmpeg so far.</summary>
    public long FramesProduced { get { lock (_lock) return _produced; } }
    /// <inheritdoc/>
    public bool IsEnded { get { lock (_lock) return _ended && _failure == null && !_state.Contains(Slot.Ready); } }
    /// <summary>The ffmpeg process (tests check that Dispose ends it).</summary>
    internal int ProcessId { get; }
    /// <summary>Frames read and waiting (never more than the ring size; 0 or 1 with a fast consumer).</summary>
    internal int Buffered { get { lock (_lock) return _state.Count(s => s == Slot.Ready); } }

    private void ReadFrames()
    {
        var stdout = _process.StandardOutput.BaseStream;
        try
        {
            while (true)
            {
                int slot;
                lock (_lock)
                {
                    while (true)
                    {
                        if (_disposed) return;
                        slot = Array.IndexOf(_state, Slot.Free);
                        if (slot >= 0) break;
                        if (_options.DropFrames)
                        {
                            // The consumer is behind: the oldest unread frame is overwritten.
                            slot = Oldest();
                            _dropped++;
                            break;
                        }
                        Monitor.Wait(_lock);
                    }
                    _state[slot] = Slot.Filling;
                }
                int n = stdout.ReadAtLeast(_buffers[slot], FrameBytes, throwOnEndOfStream: false);
                lock (_lock)
                {
                    if (n < FrameBytes)
                    {
                        _state[slot] = Slot.Free;
                        _process.WaitForExit();
                        if (_process.ExitCode != 0 && !_disposed)
                            _failure = new IOException($"ffmpeg stopped reading '{Name}' with exit code {_process.ExitCode} after {_produced} frames:\n{StderrTail()}");
                        else if (n > 0 && !_disposed)
                            _failure = new IOException($"'{Name}' ended inside a frame ({n} of {FrameBytes} bytes) after {_produced} frames:\n{StderrTail()}");
                        _ended = true;
                        Monitor.PulseAll(_lock);
                        return;
                    }
                    _numbers[slot] = _produced++;
                    _state[slot] = Slot.Ready;
                    Monitor.PulseAll(_lock);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            lock (_lock)
            {
                if (!_disposed) _failure = new IOException($"Reading frames of '{Name}' from ffmpeg failed: {e.Message}", e);
                _ended = true;
                Monitor.PulseAll(_lock);
            }
        }
    }

    private int Oldest()
    {
        int best = -1;
        for (int i = 0; i < _state.Length; i++)
            if (_state[i] == Slot.Ready && (best < 0 || _numbers[i] < _numbers[best])) best = i;
        return best;
    }

    /// <inheritdoc/>
    public bool TryGetLatest(Span<byte> frame, out long frameNumber) => Take(frame, out frameNumber, TimeSpan.Zero);

    /// <inheritdoc/>
    public bool ReadLatest(Span<byte> frame, out long frameNumber, TimeSpan timeout)
    {
        if (Take(frame, out frameNumber, timeout)) return true;
        if (IsEnded) return false;
        throw new TimeoutException($"No frame from '{Name}' within {timeout.TotalSeconds:0.###} s:\n{StderrTail()}");
    }

    private bool Take(Span<byte> frame, out long frameNumber, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length != FrameBytes)
            throw new ArgumentException($"A {Width}x{Height} {Format} frame of '{Name}' has {FrameBytes} bytes; the buffer has {frame.Length}.", nameof(frame));
        frameNumber = -1;
        int slot;
        var clock = Stopwatch.StartNew();
        lock (_lock)
        {
            while (true)
            {
                slot = -1;
                for (int i = 0; i < _state.Length; i++)
                    if (_state[i] == Slot.Ready && (slot < 0 || (_options.DropFrames ? _numbers[i] > _numbers[slot] : _numbers[i] < _numbers[slot])))
                        slot = i;
                if (slot >= 0) break;
                if (_failure != null) throw _failure;
                var left = timeout - clock.Elapsed;
                if (_ended || left <= TimeSpan.Zero) return false;
                Monitor.Wait(_lock, left);
            }
            // Latest wins: whatever is older than the frame taken will never be returned.
            if (_options.DropFrames)
                for (int i = 0; i < _state.Length; i++)
                    if (i != slot && _state[i] == Slot.Ready) { _state[i] = Slot.Free; _dropped++; }
            _state[slot] = Slot.Reading;
        }
        _buffers[slot].CopyTo(frame);
        lock (_lock)
        {
            _state[slot] = Slot.Free;
            frameNumber = _numbers[slot];
            Monitor.PulseAll(_lock);
        }
        return true;
    }

    /// <summary>Kills ffmpeg and stops the reader thread.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_lock);
        }
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // not started, or already gone
        catch (Win32Exception) { }
        _reader?.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        // _header is not disposed: a late stderr line may still test it, and it holds no kernel handle.
    }
}
