// Writing RGBA frames to disk for the samples: one PNG, numbered PNGs in a folder, or an MP4 through the system ffmpeg.
using System.Diagnostics;
using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace VulkanCnn.Samples.Common;

/// <summary>Writes RGBA8 frames (rows packed, Width·Height·4 bytes): <see cref="Png"/>, <see cref="PngFolder"/> or <see cref="Mp4"/>.</summary>
internal abstract class FrameWriter : IDisposable
{
    protected FrameWriter(int width, int height) { Width = width; Height = height; }
    protected int Width { get; }
    protected int Height { get; }

    /// <summary>One PNG at <paramref name="path"/>, rewritten by every frame.</summary>
    public static FrameWriter Png(string path, int width, int height)
    {
        CreateParent(path);
        return new PngWriter(path, width, height, folder: false);
    }

    /// <summary>A PNG per frame in <paramref name="dir"/>, named by <see cref="PngPath"/>.</summary>
    public static FrameWriter PngFolder(string dir, int width, int height)
    {
        Directory.CreateDirectory(dir);
        return new PngWriter(dir, width, height, folder: true);
    }

    /// <summary>An H.264 MP4 (yuv420p; odd sizes padded by a pixel) encoded by the system ffmpeg from raw frames on a pipe.</summary>
    public static FrameWriter Mp4(string path, int width, int height, double fps)
    {
        CreateParent(path);
        return new Mp4Writer(path, width, height, fps);
    }

    /// <summary>The file frame <paramref name="frame"/> goes to in a PNG folder.</summary>
    public static string PngPath(string dir, long frame) => Path.Combine(dir, $"frame_{frame:D6}.png");

    private static void CreateParent(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
    }

    public abstract void Write(ReadOnlySpan<byte> rgba, long frame);
    /// <summary>Completes the output (closes the video); called once after the last frame.</summary>
    public virtual void Finish() { }
    public virtual void Dispose() { }

    private sealed class PngWriter(string path, int width, int height, bool folder) : FrameWriter(width, height)
    {
        public override void Write(ReadOnlySpan<byte> rgba, long frame)
        {
            using var image = Image.LoadPixelData<Rgba32>(rgba, Width, Height);
            image.SaveAsPng(folder ? PngPath(path, frame) : path);
        }
    }

    private sealed class Mp4Writer : FrameWriter
    {
        private readonly Process _ffmpeg;
        private readonly Task<string> _stderr;
        private readonly string _path;
        private bool _finished;

        public Mp4Writer(string path, int width, int height, double fps) : base(width, height)
        {
            _path = path;
            var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
            // yuv420p needs even sizes: pad odd ones by a pixel.
            foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba",
                                      "-s", $"{width}x{height}", "-r", fps.ToString("0.###", CultureInfo.InvariantCulture), "-i", "-",
                                      "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", path })
                psi.ArgumentList.Add(a);
            try { _ffmpeg = Process.Start(psi)!; }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"Cannot start ffmpeg to write '{path}' ({e.Message}): run scripts/setup.sh, or write PNGs instead.", e);
            }
            _stderr = _ffmpeg.StandardError.ReadToEndAsync();
            _ = _ffmpeg.StandardOutput.ReadToEndAsync();
        }

        public override void Write(ReadOnlySpan<byte> rgba, long frame)
        {
            try { _ffmpeg.StandardInput.BaseStream.Write(rgba); }
            catch (IOException) { Finish(); throw; }
        }

        public override void Finish()
        {
            if (_finished) return;
            _finished = true;
            try { _ffmpeg.StandardInput.Close(); } catch (IOException) { }
            _ffmpeg.WaitForExit();
            if (_ffmpeg.ExitCode != 0)
                throw new IOException($"ffmpeg failed writing '{_path}' (exit code {_ffmpeg.ExitCode}): {_stderr.Result.Trim()}");
        }

        public override void Dispose()
        {
            if (!_finished) { try { Finish(); } catch (IOException) { } }
            _ffmpeg.Dispose();
        }
    }
}
