// vcnn: the VulkanCnn command-line tool (devices, info, bench, peak, filter, demo).
using VulkanCnn.Cli;

return Cli.Run(args);
