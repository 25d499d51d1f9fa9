import { startPodmanHarness } from '../test/support/podman-harness.js';
let t=Date.now();
const h = await startPodmanHarness(); console.log('start', Date.now()-t, h.dir);
t=Date.now(); await h.startTarget('app'); console.log('target', Date.now()-t);
console.log((await h.podman('ps','-a')).stdout);
console.log(await h.podman('exec','app','sh'));
t=Date.now(); await h.stop(); console.log('stop', Date.now()-t);
