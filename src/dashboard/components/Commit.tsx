import { commitUrl, shortSha } from '../format';

/** Short sha, linked to GitHub when the repository is known. */
export function Commit({ commit, repository, testId }: { commit: string; repository?: string; testId?: string }) {
  const url = commitUrl(repository, commit);
  const text = shortSha(commit);
  return url
    ? <a class="sha" href={url} target="_blank" rel="noopener noreferrer" title={commit} data-testid={testId}>{text}</a>
    : <code class="sha" title={commit} data-testid={testId}>{text}</code>;
}
