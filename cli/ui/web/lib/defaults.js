// Which params and metrics the dashboard shows first when the user has not chosen: the usual
// tuning knobs and results of a training run. One list for the runs table's default columns and
// the params explorer's default axes.

/** Params in order of preference (absent ones are skipped). */
export const PREFERRED_PARAMS = ['optimizer.name', 'optimizer.lr', 'lr', 'learning_rate', 'batch_size',
                                 'optimizer.momentum', 'optimizer.weight_decay', 'epochs', 'seed'];

/** Metrics in order of preference. */
export const PREFERRED_METRICS = ['loss', 'loss{subset=val}', 'accuracy{subset=val}', 'accuracy'];
