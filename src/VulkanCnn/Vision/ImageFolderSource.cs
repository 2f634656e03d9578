// ImageFolderSource: an image file or a folder of images as frames, loaded by ImageSharp.
using SixLabors.ImageSharp.Processing;
using VulkanCnn.Imaging;

namespace VulkanCnn.Vision;

/// <summary>
/// One image file, or every image in a folder in ordinal name order, as frames (loaded by ImageSharp). Images are resized
/// (bicubic) to the options' size; without one, every image must have the first image's size.
/// </summary>
public sealed class ImageFolderSource : PulledFrameSource
{
    private readonly string[] _files;
    private readonly byte[] _cached;
    private long _cachedIndex = -1;

    /// <summary>Opens an image file or a folder of images.</summary>
    public ImageFolderSource(string path, FrameSourceOptions? options = null)
        : this(path, List(path), options ?? new()) { }

    private ImageFolderSource(string path, string[] files, FrameSourceOptions o)
        : base(path, Size(files[0], o).W, Size(files[0], o).H, o, o.FramesPerSecond ?? 30, files.Length)
    {
        _files = files;
        _cached = new byte[FrameBytes];
    }

    private static string[] List(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return new[] { path };
        if (!Directory.Exists(path)) throw new FileNotFoundException($"Image file or folder '{path}' does not exist.", path);
        var files = Directory.GetFiles(path).Where(f => FrameSource.ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                             .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
            throw new FileNotFoundException($"Folder '{path}' has no images ({string.Join(", ", FrameSource.ImageExtensions)}).", path);
        return files;
    }

    private static (int W, int H) Size(string file, FrameSourceOptions o)
    {
        var (w, h) = ImageFileCheck.Identify(file);
        return Target(w, h, o);
    }

    private static (int W, int H) Target(int w, int h, FrameSourceOptions o) => (o.Width, o.Height) switch
    {
        (null, null) => (w, h),
        ({ } tw, { } th) => (tw, th),
        ({ } tw, null) => (tw, Side(Math.Round((double)h * tw / w))),
        (null, { } th) => (Side(Math.Round((double)w * th / h)), th),
    };

    // A side that keeps the aspect ratio, in double first: a 1-pixel-high image given a width may need a height past int.
    private static int Side(double v) => v <= int.MaxValue ? Math.Max(1, (int)v)
        : throw new ArgumentException($"Keeping the aspect ratio gives a side of {v:0} pixels: give both FrameSourceOptions.Width and Height.");

    private protected override void Render(long index, Span<byte> frame)
    {
        if (index != _cachedIndex)
        {
            var file = _files[index];
            using (var image = ImageFileCheck.LoadRgb24(file))
            {
                if (Options.Width != null || Options.Height != null) image.Mutate(x => x.Resize(Width, Height));
                else if (image.Width != Width || image.Height != Height)
                    throw new InvalidDataException($"Image '{file}' is {image.Width}x{image.Height} but '{_files[0]}' is {Width}x{Height}: give FrameSourceOptions.Width and Height to resize them all.");
                var rgb = new byte[3 * Width * Height];
                image.CopyPixelDataTo(rgb);
                FrameSource.FromRgb(rgb, Width, Height, Format, _cached);
            }
            _cachedIndex = index;
        }
        _cached.CopyTo(frame);
    }
}
