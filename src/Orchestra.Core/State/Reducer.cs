namespace Orchestra.Core.State;

/// <summary>How a value written by a step combines with the value already in the run's state.</summary>
public enum Reducer
{
    /// <summary>The new value replaces the old one (the default).</summary>
    Replace,
    /// <summary>The new value is appended to a list; a list appends all its items.</summary>
    Append,
    /// <summary>Objects are merged key by key, recursively; anything else is replaced.</summary>
    Merge,
}
