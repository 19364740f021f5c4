using System.Net;
using System.Net.Sockets;
using Guichet.Antivirus;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Guichet.Tests.Domain;

/// <summary>The scanner without a portal: clamd's answers read, a silent or closed scanner refused, options checked.</summary>
public sealed class ClamAvScannerTests
{
    private static ClamAvScanner Scanner(int port, int timeoutSeconds = 1) =>
        new(Options.Create(new AntivirusOptions { Host = "127.0.0.1", Port = port, TimeoutSeconds = timeoutSeconds }), NullLogger<ClamAvScanner>.Instance);

    [Theory]
    [InlineData("stream: OK\0", null)]
    [InlineData("stream: Win.Test.EICAR_HDB-1 FOUND\0", "Win.Test.EICAR_HDB-1")]
    [InlineData("stream: Guichet.Test.EICAR.UNOFFICIAL FOUND\0", "Guichet.Test.EICAR")]
    public void An_answer_of_clamd_is_read_as_clean_or_infected_with_its_signature(string answer, string? signature)
    {
        var verdict = ClamAvScanner.Parse(answer);
        Assert.NotNull(verdict);
        Assert.True(verdict.Scanned);
        Assert.Equal(signature, verdict.Signature);
    }

    [Theory]
    [InlineData("INSTREAM size limit exceeded. ERROR\0")]
    [InlineData("stream:  FOUND")]
    [InlineData("")]
    public void Any_other_answer_gives_no_verdict(string answer) => Assert.Null(ClamAvScanner.Parse(answer));

    [Fact]
    public async Task Without_a_scanner_configured_nothing_is_read_nor_scanned()
    {
        var scanner = new ClamAvScanner(Options.Create(new AntivirusOptions()), NullLogger<ClamAvScanner>.Instance);
        using var content = new MemoryStream([1, 2, 3]);
        var verdict = await scanner.ScanAsync(content, CancellationToken.None);
        Assert.False(verdict.Scanned);
        Assert.Equal(0, content.Position);
    }

    [Fact]
    public async Task A_scanner_that_accepts_the_file_but_never_answers_is_unavailable_not_clean()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = listener.AcceptSocketAsync();
        using var content = new MemoryStream(new byte[200_000]);

        var error = await Assert.ThrowsAsync<ScannerUnavailableException>(() => Scanner(((IPEndPoint)listener.LocalEndpoint).Port).ScanAsync(content, CancellationToken.None));

        Assert.Equal("Analyse antivirus indisponible, réessayez plus tard.", error.Message);
        (await accepted).Dispose();
    }

    [Fact]
    public async Task A_scanner_where_nothing_listens_is_unavailable()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
        using var content = new MemoryStream([1, 2, 3]);
        await Assert.ThrowsAsync<ScannerUnavailableException>(() => Scanner(port).ScanAsync(content, CancellationToken.None));
    }

    [Fact]
    public void Settings_that_cannot_work_are_refused_in_French()
    {
        Assert.Empty(new AntivirusOptions().Errors());
        Assert.Empty(new AntivirusOptions { Host = "clamav.interne", Port = 3310 }.Errors());
        Assert.Contains(new AntivirusOptions { Host = "h", Socket = "/run/clamav/clamd.ctl" }.Errors(), e => e.Contains("s'excluent"));
        Assert.Contains(new AntivirusOptions { Host = "h", Port = 0 }.Errors(), e => e.Contains("Antivirus:Port"));
        Assert.Contains(new AntivirusOptions { Host = "h", TimeoutSeconds = 0 }.Errors(), e => e.Contains("Antivirus:TimeoutSeconds"));
    }
}
