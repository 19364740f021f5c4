namespace Guichet.Tests.Support;

/// <summary>Files of the repository the tests compare against (the committed OpenAPI document, the generated client).</summary>
public static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Set <c>GUICHET_UPDATE_CONTRACT=1</c> to rewrite the committed files from the code instead of failing on a difference.</summary>
    public static bool Update => Environment.GetEnvironmentVariable("GUICHET_UPDATE_CONTRACT") == "1";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Guichet.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Racine du dépôt (Guichet.slnx) introuvable depuis " + AppContext.BaseDirectory);
    }
}
