// The GameEmbed sample's entry point: parses the options and runs the game loop (GameApp).
// Run: dotnet run -c Release --project samples/GameEmbed -- --frames 60 --output out/game.mp4
namespace VulkanCnn.Samples.GameEmbed;

internal static class Program
{
    private static int Main(string[] args) => GameApp.Run(args, Console.Out, Console.Error);
}
