using System.Runtime.Versioning;

// Network namespaces, veth and wireguard-go exist only on Linux; the harness uses Unix file modes and kill(2).
[assembly: SupportedOSPlatform("linux")]
