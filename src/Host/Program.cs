var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz/live", () => TypedResults.Ok("live"));
app.Run();
