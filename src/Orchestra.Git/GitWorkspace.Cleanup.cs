using System.Globalization;
using Orchestra.Core.Model;

namespace Orchestra.Git;

public sealed partial class GitWorkspace
{
    /// <summary>Runs that have Orchestra worktrees, records or branches in any repository of the workspace.</summary>
    public async Task<IReadOnlyList<GitRun>> ListRunsAsync(CancellationToken cancellationToken = default)
    {
        var runs = new SortedDictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        if (Directory.Exists(WorktreesDirectory))
        {
            foreach (var dir in Directory.EnumerateDirectories(WorktreesDirectory))
            {
                var id = Path.GetFileName(dir);
                if (Ids.IsValid(id) && Ids.IsRun(id))
                    runs[id] = SessionCreatedAt(id) ?? Directory.GetCreationTimeUtc(dir);
            }
        }
        foreach (var slot in await SlotsAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var branch in (await slot.Repository.BranchesAsync(GitNames.Prefix, cancellationToken).ConfigureAwait(false)).Keys)
            {
                if (GitNames.TryParse(branch, out var run, out _) && !runs.ContainsKey(run))
                    runs[run] = null;
            }
        }
        return runs.Select(kv => new GitRun(kv.Key, kv.Value)).ToList();
    }

    private DateTimeOffset? SessionCreatedAt(string runId)
    {
        try
        {
            return MetadataFile.Read(SessionFile(runId)) is { } json ? SessionMetadata.FromJson(json).CreatedAt : null;
        }
        catch (Orchestra.Core.OrchestraException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes what the given runs left: every step worktree (changed or not) and the branches whose work is safe
    /// elsewhere — a step branch merged into its session branch (or with no commits), a session branch merged into the
    /// repository's <c>HEAD</c> (or with nothing merged into it). Branches with work found nowhere else are kept and
    /// reported. Then forgets worktrees whose folders are gone (<c>git worktree prune</c>). Decide which runs are
    /// finished and old enough before calling this: their worktrees are removed whatever their state.
    /// </summary>
    public async Task<CleanupReport> CleanupAsync(IEnumerable<string> runIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var slots = await SlotsAsync(cancellationToken).ConfigureAwait(false);
        var worktrees = 0;
        var deleted = new List<string>();
        var kept = new List<KeptBranch>();
        var branchesBySlot = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var slot in slots)
            branchesBySlot[slot.Name] = await slot.Repository.BranchesAsync(GitNames.Prefix, cancellationToken).ConfigureAwait(false);

        foreach (var runId in runIds.Select(GitNames.CheckRun).Distinct(StringComparer.Ordinal))
        {
            var runFolder = RunFolder(runId);
            var keptSteps = new HashSet<string>(StringComparer.Ordinal);
            if (Directory.Exists(runFolder))
            {
                foreach (var dir in Directory.EnumerateDirectories(runFolder))
                    worktrees += await RemoveWorktreesAsync(dir, slots, cancellationToken).ConfigureAwait(false);
            }
            foreach (var slot in slots)
            {
                var repo = slot.Repository;
                var branches = branchesBySlot[slot.Name];
                var session = GitNames.SessionBranch(runId);
                var sessionTip = branches.GetValueOrDefault(session);
                var keptHere = 0;
                foreach (var (branch, tip) in branches.Where(b => b.Key.StartsWith(session + "-", StringComparison.Ordinal)).OrderBy(b => b.Key, StringComparer.Ordinal))
                {
                    if (!GitNames.TryParse(branch, out _, out var stepId) || stepId is null)
                        continue;
                    var @base = ReadStep(runId, stepId)?.Repos.GetValueOrDefault(slot.Name)?.Base;
                    var safe = tip == @base || (sessionTip is not null && await repo.IsAncestorAsync(tip, sessionTip, cancellationToken).ConfigureAwait(false));
                    var refused = safe ? await repo.DeleteBranchAsync(branch, cancellationToken).ConfigureAwait(false) : null;
                    if (safe && refused is null)
                    {
                        deleted.Add(branch);
                        continue;
                    }
                    keptSteps.Add(stepId);
                    keptHere++;
                    kept.Add(new KeptBranch(slot.Name, branch, refused ?? $"it has commits not merged into {session}: merge them (orchestra merge {stepId}) or delete it (git branch -D {branch})"));
                }
                if (sessionTip is null)
                    continue;
                var sessionBase = SessionBase(runId, slot.Name);
                var head = await repo.ResolveAsync("HEAD", null, cancellationToken).ConfigureAwait(false);
                var sessionSafe = sessionTip == sessionBase || (head is not null && await repo.IsAncestorAsync(sessionTip, head, cancellationToken).ConfigureAwait(false));
                var refusedSession = sessionSafe && keptHere == 0 ? await repo.DeleteBranchAsync(session, cancellationToken).ConfigureAwait(false) : null;
                if (sessionSafe && keptHere == 0 && refusedSession is null)
                {
                    deleted.Add(session);
                    continue;
                }
                keptSteps.Add("run");
                kept.Add(new KeptBranch(slot.Name, session, refusedSession
                    ?? (sessionSafe
                        ? "step branches with unmerged work start from it"
                        : $"it has merged step work that is not in HEAD: merge it (git merge {session}) or delete it (git branch -D {session})")));
            }
            ForgetRecords(runFolder, keptSteps);
        }
        foreach (var slot in slots)
            await slot.Repository.PruneWorktreesAsync(cancellationToken).ConfigureAwait(false);
        return new CleanupReport(worktrees, deleted, kept);
    }

    private string? SessionBase(string runId, string repo)
    {
        try
        {
            return MetadataFile.Read(SessionFile(runId)) is { } json ? SessionMetadata.FromJson(json).Bases.GetValueOrDefault(repo) : null;
        }
        catch (Orchestra.Core.OrchestraException)
        {
            return null;
        }
    }

    /// <summary>Deletes a run's records except those of kept branches (<c>run</c>: the session's); the folder goes when empty.</summary>
    private static void ForgetRecords(string runFolder, HashSet<string> keep)
    {
        if (!Directory.Exists(runFolder))
            return;
        foreach (var file in Directory.EnumerateFiles(runFolder))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (!keep.Contains(name) || !file.EndsWith(".json", StringComparison.Ordinal))
                File.Delete(file);
        }
        if (!Directory.EnumerateFileSystemEntries(runFolder).Any())
            Directory.Delete(runFolder);
    }

    /// <summary>Formats a cleanup report for people, one line per branch.</summary>
    public static string Describe(CleanupReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var lines = new List<string>();
        foreach (var k in report.Kept)
            lines.Add($"kept {k.Branch}{(k.Repo == "." ? "" : $" in {k.Repo}")}: {k.Reason}");
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"removed {report.Worktrees} worktrees and {report.DeletedBranches.Count} branches, kept {report.Kept.Count} branches"));
        return string.Join('\n', lines);
    }
}
