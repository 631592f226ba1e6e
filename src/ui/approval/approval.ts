/** The consent window: names the requesting origin (as the browser reported it) and asks. */
import { describeError } from '../../core/errors.ts';
import { ask } from '../shared/background.ts';
import { byTestId, showMessage } from '../shared/dom.ts';

const requestId = new URLSearchParams(location.search).get('request') ?? '';
const originLabel = byTestId('request-origin');
const approve = byTestId<HTMLButtonElement>('approve');
const deny = byTestId<HTMLButtonElement>('deny');
const errorBox = byTestId('approval-error');

function fail(error: unknown): void {
  showMessage(errorBox, describeError(error));
  approve.disabled = true;
}

async function answer(approved: boolean): Promise<void> {
  approve.disabled = true;
  deny.disabled = true;
  await ask({ type: 'answer-approval', requestId, approved });
  window.close();
}

ask({ type: 'get-approval', requestId }).then(({ origin }) => {
  originLabel.textContent = origin;
  document.title = `Allow ${origin}? — Tako Session`;
  approve.disabled = false;
}, fail);

approve.addEventListener('click', () => void answer(true).catch(fail));
deny.addEventListener('click', () => void answer(false).catch(fail));
