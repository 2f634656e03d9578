// The viewer sample's entry point: parses the options and runs the viewer (ViewerApp): live in a window and/or to files.
// Run: dotnet run -c Release --project samples/Viewer -- --source FILE|DIR|testsrc|webcam[:N] --window [--output out.mp4]
namespace VulkanCnn.Samples.Viewer;

internal static class Program
{
    private static int Main(string[] args) => ViewerApp.Run(args, Console.Out, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected);
}
