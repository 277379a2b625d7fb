// The cli agent kind and its process layer run on Linux only for now; so do their tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
