// The viewer sample's entry point: parses the options and runs the headless viewer (ViewerApp).
// Run: dotnet run -c Release --project samples/Viewer -- --source FILE|DIR|testsrc|webcam[:N] --output out.png|out.mp4|DIR
namespace VulkanCnn.Samples.Viewer;

internal static class Program
{
    private static int Main(string[] args) => ViewerApp.Run(args, Console.Out, Console.Error);
}
