// The viewer's error contract: an unwritable --output or --detections is found before anything is opened or run, and
// bad image sources (cut short, 0x0, a huge header) are one line naming the file with exit code 1; --verbose adds the
// stack trace.
using VulkanCnn.Samples.Viewer;
using VulkanCnn.Tests.Imaging;

namespace VulkanCnn.Tests.Vision;

public class ViewerErrorTests
{
    private string _dir = "";
    private string _file = "";

    [OneTimeSetUp]
    public void MakeDir()
    {
        _dir = Directory.CreateTempSubdirectory("vcnn-viewer-errors-").FullName;
        _file = Path.Combine(_dir, "regular-file");
        File.WriteAllText(_file, "");
    }

    [OneTimeTearDown]
    public void RemoveDir()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (int Code, string Out, string Err) Viewer(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ViewerApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // {file}: a regular file, so nothing can be created under it; {dir}: an existing directory.
    [TestCase("--output", "{file}/out.png")]
    [TestCase("--output", "{file}/frames")]
    [TestCase("--output", "{file}/out.mp4")]
    [TestCase("--output", "{file}")]
    [TestCase("--detections", "{dir}")]
    [TestCase("--detections", "{file}/faces.json")]
    public void AnUnwritableOutputIsFoundBeforeAnythingRuns(string option, string template)
    {
        string path = template.Replace("{file}", _file).Replace("{dir}", _dir);
        var args = new List<string> { "--source", "testsrc", "--frames", "1", "--device", GpuSetUp.DeviceChoice };
        if (option == "--detections") args.AddRange(new[] { "--output", Path.Combine(_dir, "ok.png") });
        args.AddRange(new[] { option, path });
        var (code, stdout, err) = Viewer(args.ToArray());
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(stdout, Is.Empty, "nothing may be opened or run before the outputs are checked");
        Assert.That(Lines(err), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.StartWith("viewer: ").And.Contain(option).And.Contain(path).And.Not.Contain("   at "));
        Assert.That(File.Exists(Path.Combine(_dir, "ok.png")), Is.False, "the check leaves nothing behind");
    }

    [Test]
    public void AWritableOutputIsLeftAsItWas()
    {
        string existing = Path.Combine(_dir, "existing.json");
        File.WriteAllText(existing, "keep");
        ViewerApp.CheckOutputs(ViewerOptions.Parse(new[] { "--source", "testsrc", "--output", Path.Combine(_dir, "new", "out.png"), "--detections", existing }));
        Assert.That(File.ReadAllText(existing), Is.EqualTo("keep"));
        Assert.That(File.Exists(Path.Combine(_dir, "new", "out.png")), Is.False);
    }

    private string ImageFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestCase("half.png", "truncated")]
    [TestCase("half.jpg", "truncated")]
    [TestCase("empty.png", "0x0")]
    [TestCase("huge.png", "100000x100000")]
    public void ABadImageSourceIsOneLineNamingTheFile(string name, string message)
    {
        byte[] bytes = name switch
        {
            "empty.png" => BadImages.PngClaiming(0, 0),
            "huge.png" => BadImages.PngClaiming(100000, 100000),
            _ => BadImages.Photo(Path.GetExtension(name)) is var b ? b[..(b.Length / 2)] : null!,
        };
        string path = ImageFile(name, bytes);
        var (code, _, err) = Viewer("--source", path, "--output", Path.Combine(_dir, "out.png"), "--device", GpuSetUp.DeviceChoice);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(Lines(err), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain(path).And.Contain(message).And.Not.Contain("   at "));
    }

    [Test]
    public void VerboseAddsTheStackTrace()
    {
        string path = ImageFile("huge-verbose.png", BadImages.PngClaiming(100000, 100000));
        var (code, _, err) = Viewer("--source", path, "--output", Path.Combine(_dir, "out.png"), "--verbose");
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(Lines(err)[0], Does.Contain("100000x100000"));
        Assert.That(err, Does.Contain("   at "));
    }
}
