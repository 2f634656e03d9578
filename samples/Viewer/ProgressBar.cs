// A progress display on stderr for file runs: a redrawn bar (frames done / total, fps, ETA) on a terminal, plain
// lines every tenth of the way (or every 100 frames when the total is unknown) when stderr is a file or a pipe.
using System.Globalization;

namespace VulkanCnn.Samples.Viewer;

internal sealed class ProgressBar(TextWriter output, bool terminal, long? total)
{
    private const int BarWidth = 30;
    private double _lastDraw = double.NegativeInfinity;
    private long _lastLine;

    /// <summary>The line for <paramref name="done"/> frames after <paramref name="seconds"/>: bar, count, percent, fps and ETA.</summary>
    public string Format(long done, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        double fps = seconds > 0 ? done / seconds : 0;
        if (total is not { } t || t <= 0)
            return $"{done} frames, {fps.ToString("0.0", c)} fps";
        double f = Math.Clamp((double)done / t, 0, 1);
        int fill = (int)Math.Round(f * BarWidth);
        string eta = fps > 0 ? Clock((t - done) / fps) : "?";
        return $"[{new string('#', fill)}{new string('.', BarWidth - fill)}] {done}/{t} {(100 * f).ToString("0", c)}% {fps.ToString("0.0", c)} fps ETA {eta}";
    }

    /// <summary>Reports progress; a terminal is redrawn at most ten times a second.</summary>
    public void Update(long done, double seconds)
    {
        if (terminal)
        {
            if (seconds - _lastDraw < 0.1 && done != total) return;
            _lastDraw = seconds;
            output.Write("\r" + Format(done, seconds) + "   ");
            output.Flush();
            return;
        }
        long step = total is { } t && t > 0 ? Math.Max(1, (t + 9) / 10) : 100;
        if (done / step == _lastLine / step && done != total) return;
        _lastLine = done;
        output.WriteLine("progress: " + Format(done, seconds));
    }

    /// <summary>Completes the display (the final count; a newline after the terminal bar).</summary>
    public void Finish(long done, double seconds)
    {
        if (terminal) output.WriteLine("\r" + Format(done, seconds) + "   ");
        else if (done != _lastLine) output.WriteLine("progress: " + Format(done, seconds));
    }

    private static string Clock(double seconds)
    {
        var ts = TimeSpan.FromSeconds(Math.Max(0, Math.Min(seconds, 359999)));
        return ts.TotalHours >= 1 ? $"{(int)ts.TotalHours}:{ts.Minutes:D2}:{ts.Seconds:D2}" : $"{ts.Minutes}:{ts.Seconds:D2}";
    }
}
