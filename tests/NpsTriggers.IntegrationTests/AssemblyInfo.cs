// Hangfire keeps its configuration in static state (GlobalConfiguration, JobStorage.Current), so hosts in this
// process must not overlap: integration tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
