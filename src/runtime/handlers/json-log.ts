/** One JSON object per line: CloudWatch Logs Insights can query every field. */
export function logJson(entry: Record<string, unknown>): void {
  console.log(JSON.stringify(entry));
}
