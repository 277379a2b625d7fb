using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Orchestra.Agents.Processes;

/// <summary>One process: its pid and its start time, which together survive pid reuse.</summary>
/// <param name="Pid">The process id; also the id of its process group and session.</param>
/// <param name="StartTime">The start time from <c>/proc/&lt;pid&gt;/stat</c> (field 22), or 0 when it could not be read because the process had already gone.</param>
public readonly record struct ProcessIdentity(int Pid, long StartTime);

/// <summary>What to start.</summary>
public sealed record ProcessStartSpec
{
    /// <summary>The argument vector; the first element is the program, looked up in the <c>PATH</c> of <see cref="Environment"/> unless it holds a '/'. Each element reaches the program as one argument: no shell is involved.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The complete environment of the child.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>The directory the child starts in; it must exist.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>The file that receives the child's standard output and standard error, opened in append mode (created when missing).</summary>
    public required string OutputFile { get; init; }

    /// <summary>
    /// When true, the child's standard input and standard output are pipes to this process
    /// (<see cref="LaunchResult.StandardInput"/>, <see cref="LaunchResult.StandardOutput"/>) and only standard error goes
    /// to <see cref="OutputFile"/>. Such a child depends on this process: it reads end-of-file, and its output is lost,
    /// when this process dies.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool PipeStandardStreams { get; init; }

    /// <summary>A separate file for the child's standard error, opened the same way; null (the default) to send it to <see cref="OutputFile"/>.</summary>
    public string? ErrorFile { get; init; }

    /// <summary>The file the child reads as standard input, opened read-only; null (the default) for <c>/dev/null</c>.</summary>
    public string? InputFile { get; init; }
}

/// <summary>The outcome of <see cref="ProcessLauncher.Start"/>: a process, or the error number that prevented it.</summary>
/// <param name="Process">The started process, or null on failure.</param>
/// <param name="Errno">The error number on failure (<c>ENOENT</c> = 2 when the program was not found), else 0.</param>
/// <param name="Error">A message on failure.</param>
/// <param name="NotFound">True when the program itself was not found (as opposed to, say, the interpreter named by its <c>#!</c> line).</param>
public sealed record LaunchResult(ProcessIdentity? Process, int Errno = 0, string? Error = null, bool NotFound = false)
{
    /// <summary>With <see cref="ProcessStartSpec.PipeStandardStreams"/>: the write end of the child's standard input; dispose it to send end-of-file.</summary>
    public Stream? StandardInput { get; init; }

    /// <summary>With <see cref="ProcessStartSpec.PipeStandardStreams"/>: the read end of the child's standard output.</summary>
    public Stream? StandardOutput { get; init; }
}

/// <summary>
/// Starts detached processes with <c>posix_spawnp</c> (Linux, glibc 2.29 or later). The child
/// <list type="bullet">
/// <item>leads its own session and process group (<c>POSIX_SPAWN_SETSID</c>, falling back to a new process group), so that the whole tree can be signalled at once;</item>
/// <item>writes standard output and standard error straight to a file in append mode and reads standard input from <c>/dev/null</c>
/// (or a file named in the spec): no pipe ties it to this process, so it keeps running and logging if the orchestrator dies
/// (unless <see cref="ProcessStartSpec.PipeStandardStreams"/> asks for pipes on standard input and output);</item>
/// <item>gets no other file descriptor (glibc 2.34 or later): none this process inherited without close-on-exec reaches it;</item>
/// <item>starts with default signal dispositions and an empty signal mask, whatever this process ignores or blocks.</item>
/// </list>
/// The orchestrator remains the parent: wait for the child with <see cref="ChildProcess.TryReap"/>.
/// Windows and macOS are not supported yet.
/// </summary>
public static unsafe class ProcessLauncher
{
    private const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>Signals reset to their default action in the child (a parent may ignore them; ignored signals survive exec).</summary>
    private static readonly int[] DefaultedSignals =
    [
        Libc.SIGHUP, Libc.SIGINT, Libc.SIGQUIT, Libc.SIGUSR1, Libc.SIGUSR2, Libc.SIGPIPE, Libc.SIGTERM,
        Libc.SIGCHLD, Libc.SIGTSTP, Libc.SIGTTIN, Libc.SIGTTOU, Libc.SIGXFSZ,
    ];

    /// <summary>Starts a process. Failures to start (program not found, not executable, ...) come back in the result.</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    /// <exception cref="ArgumentException">An argument, a path or the environment holds a NUL character, or the spec is empty.</exception>
    public static LaunchResult Start(ProcessStartSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("starting agent processes is supported on Linux only for now: process groups on Windows and macOS are not implemented yet");
        if (spec.Arguments.Count == 0 || string.IsNullOrEmpty(spec.Arguments[0]))
            throw new ArgumentException("the command is empty", nameof(spec));
        foreach (var (key, _) in spec.Environment)
        {
            if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal))
                throw new ArgumentException($"'{key}' is not a valid environment variable name", nameof(spec));
        }

        var program = Resolve(spec.Arguments[0], spec.Environment, spec.WorkingDirectory);
        if (program is null)
            return new LaunchResult(null, Libc.ENOENT, $"'{spec.Arguments[0]}' was not found", NotFound: true);

        // Both pipes are close-on-exec here, so no process started meanwhile by another thread inherits them; the
        // child gets its ends through dup2, which clears the flag on the copies.
        var pipes = stackalloc int[4] { -1, -1, -1, -1 };
        if (spec.PipeStandardStreams && (Libc.pipe2(pipes, Libc.O_CLOEXEC) != 0 || Libc.pipe2(pipes + 2, Libc.O_CLOEXEC) != 0))
        {
            var errno = Marshal.GetLastPInvokeError();
            ClosePipes(pipes, all: true);
            return new LaunchResult(null, errno, $"'{spec.Arguments[0]}' could not be started: no pipe: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var started = false;

        var allocations = new List<nint>();
        byte* Native(string s)
        {
            var p = Libc.Utf8(s);
            allocations.Add((nint)p);
            return p;
        }

        void* attr = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        void* actions = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        void* mask = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        void* defaults = NativeMemory.AllocZeroed(Libc.OpaqueSize);
        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(spec.Arguments.Count + 1), (nuint)sizeof(byte*));
        var envp = (byte**)NativeMemory.AllocZeroed((nuint)(spec.Environment.Count + 1), (nuint)sizeof(byte*));
        var attrReady = false;
        var actionsReady = false;
        try
        {
            var file = Native(program);
            for (var i = 0; i < spec.Arguments.Count; i++)
                argv[i] = Native(spec.Arguments[i]);
            var e = 0;
            foreach (var (key, value) in spec.Environment)
                envp[e++] = Native($"{key}={value}");
            var input = Native(spec.InputFile ?? "/dev/null");
            var output = Native(spec.OutputFile);
            var error = spec.ErrorFile is null ? null : Native(spec.ErrorFile);
            var cwd = Native(spec.WorkingDirectory);

            Check(Libc.posix_spawnattr_init(attr), "posix_spawnattr_init");
            attrReady = true;
            Check(Libc.sigemptyset(mask), "sigemptyset");
            Check(Libc.posix_spawnattr_setsigmask(attr, mask), "posix_spawnattr_setsigmask");
            Check(Libc.sigemptyset(defaults), "sigemptyset");
            foreach (var signal in DefaultedSignals)
                Check(Libc.sigaddset(defaults, signal), "sigaddset");
            Check(Libc.posix_spawnattr_setsigdefault(attr, defaults), "posix_spawnattr_setsigdefault");

            Check(Libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            actionsReady = true;
            if (spec.PipeStandardStreams)
            {
                Check(Libc.posix_spawn_file_actions_adddup2(actions, pipes[0], 0), "posix_spawn_file_actions_adddup2");
                Check(Libc.posix_spawn_file_actions_adddup2(actions, pipes[3], 1), "posix_spawn_file_actions_adddup2");
                Check(Libc.posix_spawn_file_actions_addopen(actions, 2, error is null ? output : error, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND, 0x1A4 /* 0644 */), "posix_spawn_file_actions_addopen");
            }
            else
            {
                Check(Libc.posix_spawn_file_actions_addopen(actions, 0, input, Libc.O_RDONLY, 0), "posix_spawn_file_actions_addopen");
                Check(Libc.posix_spawn_file_actions_addopen(actions, 1, output, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND, 0x1A4 /* 0644 */), "posix_spawn_file_actions_addopen");
                if (error is null)
                    Check(Libc.posix_spawn_file_actions_adddup2(actions, 1, 2), "posix_spawn_file_actions_adddup2");
                else
                    Check(Libc.posix_spawn_file_actions_addopen(actions, 2, error, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND, 0x1A4 /* 0644 */), "posix_spawn_file_actions_addopen");
            }
            try
            {
                // The child outlives this process: it must not keep the pipes, locks or sockets this process inherited.
                Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, 3), "posix_spawn_file_actions_addclosefrom_np");
            }
            catch (EntryPointNotFoundException)
            {
                // glibc before 2.34: descriptors opened without close-on-exec reach the child.
            }
            try
            {
                Check(Libc.posix_spawn_file_actions_addchdir_np(actions, cwd), "posix_spawn_file_actions_addchdir_np");
            }
            catch (EntryPointNotFoundException)
            {
                throw new PlatformNotSupportedException("starting agent processes needs glibc 2.29 or later (posix_spawn_file_actions_addchdir_np)");
            }

            const short common = Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF;
            Check(Libc.posix_spawnattr_setflags(attr, common | Libc.POSIX_SPAWN_SETSID), "posix_spawnattr_setflags");
            int pid;
            var rc = Libc.posix_spawnp(&pid, file, actions, attr, argv, envp);
            if (rc == Libc.EINVAL)
            {
                // A C library without POSIX_SPAWN_SETSID: a new process group (pgid = pid) is enough to signal the tree.
                Check(Libc.posix_spawnattr_setflags(attr, common | Libc.POSIX_SPAWN_SETPGROUP), "posix_spawnattr_setflags");
                Check(Libc.posix_spawnattr_setpgroup(attr, 0), "posix_spawnattr_setpgroup");
                rc = Libc.posix_spawnp(&pid, file, actions, attr, argv, envp);
            }
            if (rc != 0)
                return new LaunchResult(null, rc, $"'{spec.Arguments[0]}' could not be started: {Marshal.GetPInvokeErrorMessage(rc)}");

            // The child cannot be reaped before this process waits for it, so its /proc entry is there
            // (unless SIGCHLD is ignored, when an instant exit may already have been reaped: start time 0).
            var identity = new ProcessIdentity(pid, ProcessProbe.StartTime(pid) ?? 0);
            if (!spec.PipeStandardStreams)
                return new LaunchResult(identity);
            started = true;
            return new LaunchResult(identity)
            {
                StandardInput = new FileStream(new SafeFileHandle(pipes[1], ownsHandle: true), FileAccess.Write, bufferSize: 0),
                StandardOutput = new FileStream(new SafeFileHandle(pipes[2], ownsHandle: true), FileAccess.Read, bufferSize: 0),
            };
        }
        finally
        {
            // The child's ends are its own now (or nobody's, on failure); ours stay open only for a started child.
            if (spec.PipeStandardStreams)
                ClosePipes(pipes, all: !started);
            if (actionsReady)
                _ = Libc.posix_spawn_file_actions_destroy(actions);
            if (attrReady)
                _ = Libc.posix_spawnattr_destroy(attr);
            foreach (var p in allocations)
                NativeMemory.Free((void*)p);
            NativeMemory.Free(argv);
            NativeMemory.Free(envp);
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(mask);
            NativeMemory.Free(defaults);
        }
    }

    /// <summary>
    /// Finds the program as the child would: a name with a '/' is used as is (relative to the working directory);
    /// otherwise the first executable file of that name on the child's <c>PATH</c>. Null when there is none.
    /// </summary>
    public static string? Resolve(string program, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(environment);
        if (program.Contains('/', StringComparison.Ordinal))
            return File.Exists(Path.Combine(workingDirectory, program)) ? program : null;
        var path = environment.TryGetValue("PATH", out var p) && !string.IsNullOrEmpty(p) ? p : DefaultPath;
        foreach (var dir in path.Split(':'))
        {
            var candidate = Path.Combine(Path.Combine(workingDirectory, dir.Length == 0 ? "." : dir), program);
            if (Libc.IsExecutableFile(candidate))
                return Path.GetFullPath(candidate);
        }
        return null;
    }

    /// <summary>Closes the child's ends of the two pipes (<c>[0]</c> and <c>[3]</c>), and with <paramref name="all"/> this process's ends too.</summary>
    private static void ClosePipes(int* pipes, bool all)
    {
        for (var i = 0; i < 4; i++)
        {
            if (pipes[i] >= 0 && (all || i is 0 or 3))
            {
                _ = Libc.close(pipes[i]);
                pipes[i] = -1;
            }
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0)
            throw new InvalidOperationException($"{call} failed: {Marshal.GetPInvokeErrorMessage(rc)}");
    }
}
