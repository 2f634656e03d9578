// vcnn filter: placeholder until the filters land (replaced below).
namespace VulkanCnn.Cli;
internal static class FilterCommand { public static int Run(Options o) => Cli.Fail("filter: not built yet"); }
internal static class DemoCommand { public static int Run(Options o) => Cli.Fail("demo: not built yet"); }
