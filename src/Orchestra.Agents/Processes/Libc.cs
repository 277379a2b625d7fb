using System.Runtime.InteropServices;
using System.Text;

namespace Orchestra.Agents.Processes;

/// <summary>
/// The few glibc (Linux) calls the process layer needs. Constants are the Linux values, which are the same on
/// x86-64 and arm64. The runtime maps the name <c>libc</c> to the platform's C library.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int E2BIG = 7;
    public const int ENOEXEC = 8;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;

    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGUSR2 = 12;
    public const int SIGPIPE = 13;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;
    public const int SIGTSTP = 20;
    public const int SIGTTIN = 21;
    public const int SIGTTOU = 22;
    public const int SIGXFSZ = 25;

    public const int WNOHANG = 1;
    public const int X_OK = 1;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_CLOEXEC = 0x80000;

    public const short POSIX_SPAWN_SETPGROUP = 0x02;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    /// <summary>glibc 2.26 and later.</summary>
    public const short POSIX_SPAWN_SETSID = 0x80;

    /// <summary>Bytes reserved for <c>posix_spawnattr_t</c>, <c>posix_spawn_file_actions_t</c> and <c>sigset_t</c> (glibc needs 336, 80 and 128).</summary>
    public const int OpaqueSize = 1024;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    /// <summary>Creates a pipe: <c>fds[0]</c> is the read end, <c>fds[1]</c> the write end.</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int access(byte* path, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial byte* realpath(byte* path, byte* resolved);

    [LibraryImport(Lib)]
    public static partial void free(void* pointer);

    [LibraryImport(Lib)]
    public static partial int sigemptyset(void* set);

    [LibraryImport(Lib)]
    public static partial int sigaddset(void* set, int signal);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setpgroup(void* attr, int processGroup);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* set);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* set);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    /// <summary>glibc 2.29 and later.</summary>
    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    /// <summary>glibc 2.34 and later.</summary>
    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);

    [LibraryImport(Lib)]
    public static partial int posix_spawnp(int* pid, byte* file, void* actions, void* attr, byte** argv, byte** envp);

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="value"/> in native memory; free it with <see cref="NativeMemory.Free"/>.</summary>
    public static byte* Utf8(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("a process argument, path or environment variable must not contain a NUL character");
        var length = Encoding.UTF8.GetByteCount(value);
        var buffer = (byte*)NativeMemory.Alloc((nuint)length + 1);
        fixed (char* chars = value)
            Encoding.UTF8.GetBytes(chars, value.Length, buffer, length);
        buffer[length] = 0;
        return buffer;
    }

    /// <summary>The canonical path of <paramref name="path"/> with every symbolic link resolved, or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var native = Utf8(path);
        try
        {
            var resolved = realpath(native, null);
            if (resolved is null)
                return null;
            try
            {
                return Marshal.PtrToStringUTF8((nint)resolved);
            }
            finally
            {
                free(resolved);
            }
        }
        finally
        {
            NativeMemory.Free(native);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for appending (created when missing, mode 0644). Unlike <see cref="FileMode.Append"/>,
    /// every write lands at the end of the file even while another process appends to it too.
    /// </summary>
    public static FileStream OpenAppend(string path)
    {
        var native = Utf8(path);
        try
        {
            var fd = open(native, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0x1A4);
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"'{path}' could not be opened: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        }
        finally
        {
            NativeMemory.Free(native);
        }
    }

    /// <summary>True when <paramref name="path"/> names a regular file this process may execute.</summary>
    public static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
            return false;
        var native = Utf8(path);
        try
        {
            return access(native, X_OK) == 0;
        }
        finally
        {
            NativeMemory.Free(native);
        }
    }
}
