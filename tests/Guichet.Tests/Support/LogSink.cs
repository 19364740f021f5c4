using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Guichet.Tests.Support;

/// <summary>A logger provider that keeps every entry, for tests that check what a background loop reported.</summary>
public sealed class LogSink : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public int Count(string category, LogLevel level) => Entries.Count(e => e.Category == category && e.Level == level);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
    }
}
