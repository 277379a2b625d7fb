using System.Text;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// Decides whether a shell command given to Claude Code's <c>Bash</c> tool only reads. It errs on the side of refusing:
/// a command passes only when every part of its pipelines and lists is a program known to read only (<c>ls</c>,
/// <c>cat</c>, <c>grep</c>, <c>rg</c>, <c>find</c> without actions, <c>git status|diff|log|show|…</c>, …), with no output
/// redirection other than to <c>/dev/null</c> or another descriptor, no command substitution and no variable
/// assignment. Anything it cannot parse is refused.
/// </summary>
public static class ReadOnlyShell
{
    private static readonly HashSet<string> Programs = new(StringComparer.Ordinal)
    {
        "ls", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "rg", "find", "git", "pwd", "echo", "file", "stat",
        "du", "df", "which", "sort", "uniq", "cut", "tr", "nl", "tree", "basename", "dirname", "realpath", "readlink",
        "date", "diff", "cmp", "comm", "jq", "true", "false", "test", "[", "md5sum", "sha1sum", "sha256sum", "column", "fold",
    };

    private static readonly HashSet<string> GitReaders = new(StringComparer.Ordinal)
    {
        "status", "diff", "log", "show", "blame", "grep", "ls-files", "ls-tree", "rev-parse", "describe", "shortlog",
        "cat-file", "rev-list", "merge-base", "name-rev", "whatchanged", "branch", "tag", "remote",
    };

    private static readonly HashSet<string> FindActions = new(StringComparer.Ordinal)
    {
        "-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls",
    };

    /// <summary>True when <paramref name="command"/> only reads; otherwise <paramref name="reason"/> says why not.</summary>
    public static bool IsReadOnly(string command, out string reason)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!TrySplit(command, out var segments, out reason))
            return false;
        if (segments.Count == 0)
        {
            reason = "the command is empty";
            return false;
        }
        foreach (var words in segments)
        {
            if (!SegmentReadsOnly(words, out reason))
                return false;
        }
        reason = "";
        return true;
    }

    private static bool SegmentReadsOnly(List<string> words, out string reason)
    {
        var program = words[0];
        if (program.Contains('=', StringComparison.Ordinal))
        {
            reason = $"it sets a variable ({program})";
            return false;
        }
        var name = Path.GetFileName(program);
        if (!Programs.Contains(name))
        {
            reason = $"`{name}` is not known to only read";
            return false;
        }
        var args = words.Skip(1).ToList();
        string? bad = name switch
        {
            "find" => args.FirstOrDefault(FindActions.Contains),
            "sort" => args.FirstOrDefault(a => a.StartsWith("-o", StringComparison.Ordinal) || a.StartsWith("--output", StringComparison.Ordinal)),
            "tree" => args.FirstOrDefault(a => a == "-o"),
            "rg" => args.FirstOrDefault(a => a.StartsWith("--pre", StringComparison.Ordinal)),
            "date" => args.FirstOrDefault(a => a.StartsWith("-s", StringComparison.Ordinal) || a.StartsWith("--set", StringComparison.Ordinal)),
            "uniq" => args.Count(a => !a.StartsWith('-')) > 1 ? args.Last() : null,
            "git" => GitProblem(args),
            _ => null,
        };
        if (bad is not null)
        {
            reason = $"`{name} … {bad}` may change files";
            return false;
        }
        reason = "";
        return true;
    }

    /// <summary>The argument that makes a git command more than a reader, or null.</summary>
    private static string? GitProblem(List<string> args)
    {
        var sub = args.FirstOrDefault(a => !a.StartsWith('-'));
        // Options before the subcommand (-c key=value, --exec-path, ...) can run programs: refused.
        if (sub is null || args[0] != sub)
            return args.Count == 0 ? "(no subcommand)" : args[0];
        if (!GitReaders.Contains(sub))
            return sub;
        var rest = args.Skip(1).ToList();
        if (rest.FirstOrDefault(a => a.StartsWith("--output", StringComparison.Ordinal) || a == "--ext-diff") is { } output)
            return output;
        return sub switch
        {
            // Listing forms only: with a name these create, rename or delete.
            "branch" => rest.FirstOrDefault(a => a is not ("-a" or "--all" or "-r" or "--remotes" or "-v" or "-vv" or "--list" or "-l" or "--show-current" or "--merged" or "--no-merged")),
            "tag" => rest.FirstOrDefault(a => a is not ("-l" or "--list" or "-n")),
            "remote" => rest.FirstOrDefault(a => a is not ("-v" or "--verbose")),
            _ => null,
        };
    }

    /// <summary>Splits a command line into the word lists of its simple commands, refusing what it does not understand.</summary>
    private static bool TrySplit(string command, out List<List<string>> segments, out string reason)
    {
        var found = new List<List<string>>();
        segments = found;
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        void EndWord()
        {
            if (inWord)
                words.Add(word.ToString());
            word.Clear();
            inWord = false;
        }
        void EndSegment()
        {
            EndWord();
            if (words.Count > 0)
                found.Add(words);
            words = [];
        }

        while (i < command.Length)
        {
            var c = command[i];
            switch (c)
            {
                case '\'':
                {
                    var close = command.IndexOf('\'', i + 1);
                    if (close < 0)
                        return Fail("it has an unclosed quote", out reason);
                    word.Append(command, i + 1, close - i - 1);
                    inWord = true;
                    i = close + 1;
                    continue;
                }
                case '"':
                {
                    var j = i + 1;
                    for (; j < command.Length && command[j] != '"'; j++)
                    {
                        if (command[j] == '\\' && j + 1 < command.Length)
                        {
                            word.Append(command[++j]);
                            continue;
                        }
                        if (command[j] == '`' || (command[j] == '$' && j + 1 < command.Length && command[j + 1] == '('))
                            return Fail("it uses command substitution", out reason);
                        word.Append(command[j]);
                    }
                    if (j >= command.Length)
                        return Fail("it has an unclosed quote", out reason);
                    inWord = true;
                    i = j + 1;
                    continue;
                }
                case '\\':
                    if (i + 1 < command.Length)
                        word.Append(command[i + 1]);
                    inWord = true;
                    i += 2;
                    continue;
                case '`':
                    return Fail("it uses command substitution", out reason);
                case '$' when i + 1 < command.Length && command[i + 1] == '(':
                    return Fail("it uses command substitution", out reason);
                case '(' or ')' or '{' or '}' when !inWord:
                    return Fail("it uses subshells or groups", out reason);
                case ' ' or '\t':
                    EndWord();
                    i++;
                    continue;
                case '\n' or ';' or '|' or '&':
                    if (c == '&' && i + 1 < command.Length && command[i + 1] == '>')
                        return Fail("it redirects output", out reason);
                    EndSegment();
                    i++;
                    continue;
                case '<':
                    if (i + 1 < command.Length && command[i + 1] == '(')
                        return Fail("it uses process substitution", out reason);
                    EndWord();
                    i++;
                    continue;
                case '>':
                {
                    if (i + 1 < command.Length && command[i + 1] == '(')
                        return Fail("it uses process substitution", out reason);
                    // A descriptor number right before (2>) belongs to the redirection, not to the command's words.
                    if (inWord && word.ToString() is var w && w.All(char.IsAsciiDigit))
                    {
                        word.Clear();
                        inWord = false;
                    }
                    EndWord();
                    var j = i + 1;
                    if (j < command.Length && command[j] == '>')
                        j++;
                    while (j < command.Length && command[j] is ' ' or '\t')
                        j++;
                    var start = j;
                    while (j < command.Length && command[j] is not (' ' or '\t' or '\n' or ';' or '|' or '&' or '<' or '>') || (j == start && j < command.Length && command[j] == '&'))
                        j++;
                    var target = command[start..j];
                    if (target is not ("/dev/null" or "&1" or "&2"))
                        return Fail($"it redirects output to {(target.Length == 0 ? "a file" : target)}", out reason);
                    i = j;
                    continue;
                }
                default:
                    word.Append(c);
                    inWord = true;
                    i++;
                    continue;
            }
        }
        EndSegment();
        reason = "";
        return true;
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
