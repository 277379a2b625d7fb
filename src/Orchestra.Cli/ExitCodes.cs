namespace Orchestra.Cli;

/// <summary>The command's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for succeeded.</summary>
    public const int Success = 0;

    /// <summary>The work failed (a step failed, the store is unusable).</summary>
    public const int WorkFailed = 1;

    /// <summary>Bad usage or configuration: nothing was done.</summary>
    public const int Usage = 2;
}
