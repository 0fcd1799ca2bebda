/** The benchmark baseline's activity: the cost of a round trip and nothing else. */
export function createBaselineActivities() {
  return {
    async noop(): Promise<void> {
      // Intentionally empty.
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
