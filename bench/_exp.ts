import { runScenario } from './scenario';
import { SCENARIOS } from './scenarios';
setTimeout(() => process.exit(0), 8000);
void runScenario({ ...SCENARIOS[0]!, checksPerRun: 1 }, () => { console.log('acked'); }).then((r) => { console.log(JSON.stringify(r.ackMs)); process.exit(0); });
