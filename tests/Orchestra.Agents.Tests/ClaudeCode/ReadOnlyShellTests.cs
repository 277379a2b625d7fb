using Orchestra.Agents.ClaudeCode;

namespace Orchestra.Agents.Tests.ClaudeCode;

public sealed class ReadOnlyShellTests
{
    [Theory]
    [InlineData("ls -la src")]
    [InlineData("cat README.md | head -20")]
    [InlineData("grep -rn 'TODO' src && echo done")]
    [InlineData("rg \"a > b\" src")]
    [InlineData("find . -name '*.cs' -type f | wc -l")]
    [InlineData("git status --short")]
    [InlineData("git diff HEAD~1 -- src/ 2>/dev/null")]
    [InlineData("git log --oneline -5; git show HEAD:README.md")]
    [InlineData("git branch -a")]
    [InlineData("sort names.txt | uniq -c")]
    [InlineData("cat a.txt 2>&1 | head")]
    [InlineData("/usr/bin/ls")]
    public void Reading_commands_pass(string command)
    {
        Assert.True(ReadOnlyShell.IsReadOnly(command, out var reason), reason);
    }

    [Theory]
    [InlineData("rm -rf build", "rm")]
    [InlineData("echo hi > notes.txt", "notes.txt")]
    [InlineData("cat a >> b", "redirects")]
    [InlineData("ls && touch x", "touch")]
    [InlineData("find . -name '*.tmp' -delete", "-delete")]
    [InlineData("find . -type f -exec rm -f x \\;", "-exec")]
    [InlineData("git commit -m x", "commit")]
    [InlineData("git -c core.pager=sh log", "-c")]
    [InlineData("git branch -D main", "-D")]
    [InlineData("git diff --output=patch.txt", "--output")]
    [InlineData("echo $(rm -rf /)", "substitution")]
    [InlineData("echo `id`", "substitution")]
    [InlineData("echo \"$(id)\"", "substitution")]
    [InlineData("FOO=1 ls", "variable")]
    [InlineData("sed -i s/a/b/ f", "sed")]
    [InlineData("sort -o out.txt in.txt", "-o")]
    [InlineData("(cd /; rm x)", "subshell")]
    [InlineData("cat 'unclosed", "quote")]
    [InlineData("tee out.txt", "tee")]
    [InlineData("", "empty")]
    public void Writing_or_unclear_commands_are_refused_with_a_reason(string command, string expected)
    {
        Assert.False(ReadOnlyShell.IsReadOnly(command, out var reason));
        Assert.Contains(expected, reason);
    }
}
