namespace Guichet.Hosting;

/// <summary>
/// A bounded resource of the portal (not the database) stayed full longer than the caller may wait: answered 503 with
/// <c>Retry-After</c> and this French message, like a transient failure (<see cref="ErrorHandling.Classify"/>).
/// </summary>
public sealed class ServiceBusyException(string message) : Exception(message);
