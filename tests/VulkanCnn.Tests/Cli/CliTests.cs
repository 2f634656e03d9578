// vcnn's error contract: bad input is one line on stderr and exit code 1, anything undocumented one line and a non-zero
// code, a stack trace only with --verbose; an unwritable output directory is found before any work is done.
namespace VulkanCnn.Tests.Cli;

public class CliTests
{
    private static (int Code, string Out, string Err) Vcnn(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        var so = new StringWriter();
        var se = new StringWriter();
        Console.SetOut(so);
        Console.SetError(se);
        try { return (global::VulkanCnn.Cli.Cli.Run(args), so.ToString(), se.ToString()); }
        finally { Console.SetOut(o); Console.SetError(e); }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Test]
    public void ANegativeBenchSizeIsOneLineNamingTheOption()
    {
        var (code, _, err) = Vcnn("bench", "conv", "--channels", "-1");
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(Lines(err), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain("--channels").And.Contain("-1").And.Not.Contain("   at "));
    }

    [Test]
    public void ZeroBenchRunsIsOneLineNamingTheOption()
    {
        var (code, _, err) = Vcnn("bench", "lenet5", "--runs", "0", "--no-peak", "--device", GpuSetUp.DeviceChoice);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(err, Does.Contain("--runs").And.Not.Contain("Sequence contains no elements"));
    }

    [Test]
    public void VerboseAddsTheStackTrace()
    {
        var (code, _, err) = Vcnn("bench", "conv", "--channels", "-1", "--verbose");
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(Lines(err)[0], Does.Contain("--channels"));
        Assert.That(err, Does.Contain("   at "));
    }

    [Test]
    public void AnUndocumentedExceptionIsStillOneLine()
    {
        // A 2^31-1 input overflows the multiply-add count (an OverflowException today, from Graph): whatever becomes of
        // it, vcnn must not die with an unhandled exception (exit 134) and a stack trace.
        var (code, _, err) = Vcnn("info", "resnet18", "--size", "2147483647");
        Assert.That(code, Is.Not.Zero);
        Assert.That(Lines(err), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Not.Contain("   at "));
    }

    [Test]
    public void AHugeFilterSizeIsRejectedBeforeTheMaskIsAllocated()
    {
        // Used to allocate a 99999x99999 mask and end in an OutOfMemoryException.
        var (code, _, err) = Vcnn("filter", "gaussian", TestFiles.Cached("images", "camera.png"), Path.Combine(Path.GetTempPath(), "vcnn-never.png"),
                                  "--size", "99999", "--device", GpuSetUp.DeviceChoice);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(Lines(err), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Contain("99999").And.Contain("255"));
    }

    [TestCase("--std", "0")]
    [TestCase("--std", "1,0,1")]
    [TestCase("--mean", "nan")]
    [TestCase("--scale", "Infinity")]
    public void ANormalisationThatMakesInfinitiesIsRejected(string option, string value)
    {
        // A zero std used to turn the whole input into ±Inf/NaN, run the model on it and exit 0.
        string model = TestFiles.Cached("models", "blazeface", "ONNX", "face_detection_front_128x128_barracuda.onnx");
        string dir = Directory.CreateTempSubdirectory("vcnn-cli-std-").FullName;
        try
        {
            var (code, _, err) = Vcnn("run", model, "--input", "input:0=" + TestFiles.Cached("images", "camera.png"), option, value,
                                      "--output-dir", dir, "--device", GpuSetUp.DeviceChoice);
            Assert.That(code, Is.EqualTo(1), err);
            Assert.That(err, Does.Contain(option));
            Assert.That(Directory.GetFiles(dir, "*.npy"), Is.Empty);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void AnUnwritableOutputDirectoryIsFoundBeforeTheModelIsRead()
    {
        string dir = Directory.CreateTempSubdirectory("vcnn-cli-").FullName;
        try
        {
            string file = Path.Combine(dir, "file");
            File.WriteAllText(file, "");
            string outDir = Path.Combine(file, "outputs");   // a directory under a regular file cannot exist
            var (code, stdout, err) = Vcnn("run", Path.Combine(dir, "missing.onnx"), "--input", "x=x.npy", "--output-dir", outDir);
            Assert.That(code, Is.EqualTo(1), err);
            Assert.That(Lines(err), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.Contain("--output-dir").And.Contain(outDir));
            Assert.That(stdout, Is.Empty);

            (code, _, err) = Vcnn("run", Path.Combine(dir, "missing.onnx"), "--output-dir", file);
            Assert.That(code, Is.EqualTo(1), err);
            Assert.That(err, Does.Contain("--output-dir").And.Contain("is a file"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void OcrRefusesAMissingModelFolderOrModelBeforeOpeningTheDevice()
    {
        var (code, _, err) = Vcnn("ocr", TestFiles.Cached("images", "page.png"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("--models DIR"));
        string empty = Path.Combine(Path.GetTempPath(), $"vcnn-ocr-{Environment.ProcessId}");
        Directory.CreateDirectory(empty);
        try
        {
            (code, _, err) = Vcnn("ocr", TestFiles.Cached("images", "page.png"), "--models", empty);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(err, Does.Contain("ch_PP-OCRv4_det_infer.onnx").And.Contain("does not exist"));
        }
        finally { Directory.Delete(empty, true); }
        (code, _, err) = Vcnn("ocr", "a.png", "b.png", "--models", empty);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("one image"));
    }
}
